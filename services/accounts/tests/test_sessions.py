"""Server-side sessions: opened at login with a fresh token, resumed by every web
request, ended at logout, after the idle and absolute timeouts, and for the whole
account when its password changes or it is inactivated — through the service's RPC
methods on a real migrated database (worker_factory)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory

from contracts import identity
from contracts.errors import AccountInactive, NotAuthenticated
from services.accounts import authentication, sessions
from services.accounts.models import PasswordToken, UserSession, utcnow
from services.accounts.service import AccountsService
from services.accounts.tests.conftest import AGENT, SECRET, TECH, account
from services.common.caller import CallerIdentity
from services.conftest import WORKER_AUD

pytestmark = pytest.mark.db
TECH_PASSWORD = "Techni-Demo-2026!"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def as_session(session, summary):
    """A worker acting through the session a login returned, as the web would sign it."""
    who = {k: summary[k] for k in ("id", "profile", "caisse_code", "partner_id", "pending", "session_id")}
    return worker_factory(AccountsService, db=session, caller=CallerIdentity(identity.sign(who, SECRET, WORKER_AUD), SECRET, WORKER_AUD))


def login(session, worker, device=FIREFOX):
    summary = worker().authenticate(TECH, TECH_PASSWORD, device)
    return summary, as_session(session, summary)


def test_each_login_opens_a_new_session_whose_token_is_stored_hashed(session, worker):
    first, _ = login(session, worker)
    second, _ = login(session, worker)
    assert first["session_token"] != second["session_token"] and first["session_id"] != second["session_id"]
    stored = session.get(UserSession, first["session_id"])
    assert stored.token_hash != first["session_token"] and len(stored.token_hash) == 64
    assert stored.device == "Firefox sous Windows"
    resumed = worker().resume_session(first["session_token"])
    assert resumed["email"] == TECH and resumed["session_id"] == first["session_id"]
    assert "session_token" not in resumed
    with pytest.raises(NotAuthenticated):
        worker().resume_session(first["session_token"] + "x")


def test_logout_ends_the_session_for_the_cookie_and_for_signed_calls(session, worker):
    summary, me = login(session, worker)
    me.end_session()
    with pytest.raises(NotAuthenticated) as resumed:
        worker().resume_session(summary["session_token"])         # a stolen cookie is useless now
    assert "reconnectez-vous" in resumed.value.message
    with pytest.raises(NotAuthenticated):
        me.me()                                                    # and so is a signed identity naming it
    with pytest.raises(NotAuthenticated):
        me.my_sessions()


def test_idle_and_absolute_timeouts(session, worker, monkeypatch):
    monkeypatch.setenv("EP_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("EP_SESSION_MAX_HOURS", "12")
    idle, _ = login(session, worker)
    row = session.get(UserSession, idle["session_id"])
    row.last_seen_at = utcnow() - timedelta(minutes=31)
    session.commit()
    with pytest.raises(NotAuthenticated) as exc:
        worker().resume_session(idle["session_token"])
    assert "inactivité" in exc.value.message and session.get(UserSession, row.id).end_reason == "idle"

    busy, _ = login(session, worker)
    row = session.get(UserSession, busy["session_id"])
    row.created_at = utcnow() - timedelta(hours=12, minutes=1)     # used a minute ago, but opened 12 h ago
    session.commit()
    with pytest.raises(NotAuthenticated) as exc:
        worker().resume_session(busy["session_token"])
    assert "durée maximale" in exc.value.message and session.get(UserSession, row.id).end_reason == "expired"


def test_activity_keeps_a_session_open(session, worker):
    summary, _ = login(session, worker)
    row = session.get(UserSession, summary["session_id"])
    row.last_seen_at = utcnow() - timedelta(minutes=29)
    session.commit()
    worker().resume_session(summary["session_token"])
    session.expire_all()
    assert utcnow() - session.get(UserSession, row.id).last_seen_at < timedelta(minutes=1)


def test_the_session_check_of_a_page_reads_two_statements_and_writes_at_most_once_a_minute(session, worker):
    """Every page runs it: the session with its account in one statement, the account's active caisses in
    another; last seen written when over a minute old, not at each page."""
    summary, _ = login(session, worker)
    statements = []
    sa.event.listen(session.bind, "before_cursor_execute", lambda _c, _cur, statement, *_: statements.append(statement))

    def check():
        session.expunge_all()                        # as a worker's own session: nothing read before
        statements.clear()
        assert worker().resume_session(summary["session_token"])["caisses"]
        return [s.split()[0] for s in statements]

    assert check() == ["SELECT", "SELECT"]
    row = session.get(UserSession, summary["session_id"])
    row.last_seen_at = utcnow() - timedelta(seconds=61)
    session.commit()
    assert check() == ["SELECT", "UPDATE", "SELECT"]      # touched, then the caisses
    assert check() == ["SELECT", "SELECT"]


def test_password_change_ends_the_other_sessions_and_keeps_the_one_that_changed_it(session, worker):
    other, _ = login(session, worker)
    mine, me = login(session, worker)
    me.change_password(TECH_PASSWORD, "Nouveau-Solide-Ouvrage-2026!")
    with pytest.raises(NotAuthenticated) as exc:
        worker().resume_session(other["session_token"])
    assert "mot de passe" in exc.value.message
    assert worker().resume_session(mine["session_token"])["email"] == TECH


def test_password_reset_link_ends_every_session(session, worker):
    summary, _ = login(session, worker)
    worker().request_password_reset(TECH)
    row = session.scalars(sa.select(PasswordToken).where(PasswordToken.account_id == summary["id"])).one()
    token = "jeton-de-test-assez-long"
    row.token_hash = authentication._token_hash(token)             # the emailed token is not readable here
    session.commit()
    worker().set_password_with_token(token, "Reinitialise-Solide-2026!")
    with pytest.raises(NotAuthenticated):
        worker().resume_session(summary["session_token"])


def test_inactivation_ends_every_session_and_reactivation_does_not_revive_them(session, worker):
    first, _ = login(session, worker)
    second, _ = login(session, worker)
    agent = worker(AGENT)
    agent.inactivate_account(first["id"], "fraude")
    for summary in (first, second):
        with pytest.raises(AccountInactive):
            worker().resume_session(summary["session_token"])
    agent.reactivate_account(first["id"])
    with pytest.raises(AccountInactive):
        worker().resume_session(first["session_token"])


def test_sessions_listed_and_the_others_ended(session, worker):
    login(session, worker, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Version/17.0 Mobile Safari/604.1")
    other, _ = login(session, worker)
    mine, me = login(session, worker, "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36")
    listed = me.my_sessions()
    assert [s["current"] for s in listed] == [True, False, False]
    assert listed[0]["device"] == "Chrome sous Linux" and "Safari sous iOS" in {s["device"] for s in listed}
    assert all(s["created_at_label"] for s in listed)
    assert me.end_other_sessions() == 2
    assert [s["id"] for s in me.my_sessions()] == [mine["session_id"]]
    with pytest.raises(NotAuthenticated) as exc:
        worker().resume_session(other["session_token"])
    assert "autre session" in exc.value.message


def test_an_identity_cannot_borrow_another_accounts_session(session, worker):
    tech, _ = login(session, worker)
    agent = account(session, AGENT)
    who = {"id": agent.id, "profile": agent.profile, "caisse_code": "999", "partner_id": None, "pending": [],
           "session_id": tech["session_id"]}
    borrowed = worker_factory(AccountsService, db=session, caller=CallerIdentity(identity.sign(who, SECRET, WORKER_AUD), SECRET, WORKER_AUD))
    with pytest.raises(NotAuthenticated):
        borrowed.list_partners()


def test_ended_sessions_are_purged_after_a_month(session, worker):
    summary, me = login(session, worker)
    me.end_session()
    row = session.get(UserSession, summary["session_id"])
    row.ended_at = utcnow() - timedelta(days=31)
    session.commit()
    assert sessions.purge_ended(session) >= 1
    assert session.get(UserSession, summary["session_id"]) is None


@pytest.mark.parametrize("agent,label", [
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15",
     "Safari sous macOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36 Edg/126.0", "Edge sous Windows"),
    ("", "Appareil inconnu"),
])
def test_device_label(agent, label):
    assert sessions.device_label(agent) == label
