"""AccountsService workers on a real migrated database seeded with the demo data;
each worker acts as a given account through a really signed identity."""
import pyotp
import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory

from contracts import identity
from contracts.errors import SecondFactorRequired
from sqlalchemy.orm import object_session

from services.accounts import sessions
from services.accounts.models import Account, SignInCounter, utcnow
from services.accounts.seed import DEMO_TOTP_SECRETS, seed
from services.accounts.service import AccountsService
from services.common.caller import CallerIdentity
from services.conftest import WORKER_AUD, emitted_events

SECRET = "k" * 40


@pytest.fixture(autouse=True)
def sealing_key(monkeypatch):
    """TOTP secrets are sealed with EP_TOTP_KEY (services.accounts.sealing)."""
    monkeypatch.setenv("EP_TOTP_KEY", "s" * 40)


@pytest.fixture(autouse=True)
def rpc_secret(monkeypatch):
    """The sign-in counters and places are keyed from EP_RPC_SECRET (services.accounts.settings.sign_in_key)."""
    monkeypatch.setenv("EP_RPC_SECRET", SECRET)


@pytest.fixture(autouse=True)
def reset_links_unpaced(monkeypatch):
    """Tests ask for reset links again and again; the pace of reset links is tested on its own."""
    monkeypatch.setenv("EP_RESET_LINK_EVERY_SECONDS", "0")


@pytest.fixture
def session(migrated_session, sealing_key):
    db = migrated_session("accounts")
    seed(db)
    return db


def account(session, email, profile=None) -> Account:
    query = sa.select(Account).where(Account.email == email)
    if profile:
        query = query.where(Account.profile == profile)
    return session.scalars(query).one()


def identity_of(acc: Account, pending=()) -> dict:
    """As the web signs it: the account, acting through a session opened for the test."""
    session = object_session(acc)
    _token, row = sessions.open_session(session, acc.id, "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", utcnow())
    session.commit()
    return {"id": acc.id, "profile": acc.profile, "caisse_code": acc.caisse.code if acc.caisse else None,
            "partner_id": acc.partner_id, "pending": list(pending), "session_id": row.id}


@pytest.fixture
def worker(session):
    """worker(email=None, profile=None, pending=()) -> an AccountsService worker acting as that account
    (anonymous without email). ``emitted_events(worker)`` lists the events it wrote to the outbox."""
    def make(email=None, profile=None, pending=()):
        token = identity.sign(identity_of(account(session, email, profile), pending), SECRET, WORKER_AUD) if email else None
        return worker_factory(AccountsService, db=session, caller=CallerIdentity(token, SECRET, WORKER_AUD))
    return make


def log_in(session, worker, email, password, profile=None) -> dict:
    """Through the login RPCs, answering the second factor of the demo admin and agents from their demo secret."""
    try:
        return worker().authenticate(email, password)
    except SecondFactorRequired as step:
        secret = DEMO_TOTP_SECRETS[(account(session, email, profile).profile, email)]
        return worker().authenticate_second_factor(step.ticket, pyotp.TOTP(secret).now())


def at_once(session, call, identities) -> list:
    """``call(worker)`` fired at once for each identity (an email, or None: anonymous), each through its own
    service worker on its own database connection and transaction, as parallel requests are served
    (issue 16: the rules hold under 20 parallel calls). -> each call's result, or the typed error it raised."""
    import eventlet
    from sqlalchemy.orm import Session

    from contracts.errors import ServiceError

    tokens = [identity.sign(identity_of(account(session, who)), SECRET, WORKER_AUD) if who else None for who in identities]
    session.commit()
    # One connection each, none waiting for a pooled one: all twenty really at once.
    bind = session.get_bind()
    engine = sa.create_engine(bind.url, poolclass=sa.pool.NullPool,
                              connect_args={"timeout": 15} if bind.dialect.name == "sqlite" else {})

    def one(token):
        own = Session(engine, expire_on_commit=False)
        try:
            return call(worker_factory(AccountsService, db=own, caller=CallerIdentity(token, SECRET, WORKER_AUD)))
        except ServiceError as exc:
            return exc
        finally:
            own.rollback()
            own.close()

    outcomes = list(eventlet.GreenPool(len(tokens)).imap(one, tokens))
    engine.dispose()
    session.expire_all()
    return outcomes


def counters(session, **values) -> None:
    """Set every sign-in counter's columns (services.accounts.throttle), e.g. a delay run out:
    counters(session, last_failure_at=utcnow() - timedelta(minutes=10))."""
    session.execute(sa.update(SignInCounter).values(**values))
    session.commit()


def lock_of(session, key: str):
    """When the counter ``key`` is locked until (None: not locked)."""
    session.expire_all()
    return session.scalar(sa.select(SignInCounter.locked_until).where(SignInCounter.key == key))


def events_of(worker_instance, event_type):
    return [payload for etype, payload in emitted_events(worker_instance) if etype == event_type]


AGENT = "agent@cpam-valfleuri.test"
AGENT_B = "agent@cpam-hauts-fictifs.test"
AGENT_PLAIN = "agent2@cpam-valfleuri.test"          # an agent of Valfleuri without the role « administrateur de caisse »
ADMIN = "admin@assurance-maladie.test"
GEST = "gestionnaire@ccas-saint-exemple.test"
TECH = "technicien@ccas-saint-exemple.test"
GEST_B = "gestionnaire@relais-fictif.test"
TECH_B = "technicien@relais-fictif.test"
DOUBLE = "double@relais-fictif.test"


def one_password_for_both_profiles(session) -> None:
    """The double's two accounts get the technicien's password: signing in then asks which profile."""
    account(session, DOUBLE, "gestionnaire").password_hash = account(session, DOUBLE, "technicien").password_hash
    session.commit()


def person(email, **extra):
    return {"civility": "Mme", "last_name": "Essai", "first_name": "Alice", "function": "Assistante sociale",
            "phone": "01 23 45 67 89", "email": email, **extra}


def age_proof(session, who_worker, minutes=6):
    """The worker's session proved its identity ``minutes`` ago (past the 5-minute window by default)."""
    from datetime import timedelta

    from services.accounts.models import UserSession

    row = session.get(UserSession, who_worker.caller.identity["session_id"])
    row.reauthenticated_at = utcnow() - timedelta(minutes=minutes)
    session.commit()
