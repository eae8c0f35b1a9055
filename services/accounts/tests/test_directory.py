"""What the notifier asks accounts for (signed service identity only): active users of a
caisse or of all, and password expiries, in keyset pages; the caisse's referents for the
maintenance page (anyone); the caisses travelling with each email's recipient."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory

from contracts import events, identity
from contracts.errors import NotAuthenticated, NotAuthorized
from services.accounts.models import Account, Caisse, Convention
from services.accounts.service import AccountsService
from services.accounts.tests.conftest import ADMIN, AGENT, AGENT_B, SECRET, TECH, TECH_B, account, events_of
from services.common.caller import CallerIdentity
from services.conftest import WORKER_AUD

pytestmark = pytest.mark.db


@pytest.fixture
def as_service(session):
    token = identity.sign({"id": None, "profile": "service", "service": "notifier"}, SECRET, WORKER_AUD)
    return worker_factory(AccountsService, db=session, caller=CallerIdentity(token, SECRET, WORKER_AUD))


def walk(method, *args, limit=3):
    items, after, pages = [], 0, 0
    while after is not None:
        page = method(*args, after_id=after, limit=limit)
        items += page["items"]
        after, pages = page["next"], pages + 1
    return items, pages


def test_active_users_of_a_caisse_in_pages(session, as_service):
    people, pages = walk(as_service.active_users, "998")
    emails = {p["email"] for p in people}
    assert AGENT_B in emails and TECH_B in emails                    # its agent, a partner under convention
    assert AGENT not in emails and TECH not in emails and ADMIN not in emails
    assert pages > 1 and len(people) == len({p["account_id"] for p in people})
    expected = session.scalars(sa.select(sa.func.count()).select_from(Account).where(
        Account.status == "active", Account.password_hash.is_not(None))).one()
    everyone, _ = walk(as_service.active_users, None, limit=7)
    assert len(everyone) == expected
    [tech_b] = [p for p in people if p["email"] == TECH_B]
    assert tech_b["caisses"] == ["998", "999"] and tech_b["profile"] == "technicien"


def test_the_newsletter_goes_only_to_partners_whose_convention_opens_the_news(session, as_service):
    """With a feature (the notifier asks "actualites" for the newsletter), a partner whose convention
    with that caisse does not open it is left out; the caisse's own agents stay."""
    with_news = {p["email"] for p in walk(lambda *a, **k: as_service.active_users(*a, **k, feature="actualites"),
                                          "999")[0]}
    assert TECH in with_news and AGENT in with_news
    tech = account(session, TECH)
    convention = session.scalars(sa.select(Convention).where(Convention.partner_id == tech.partner_id,
                                                             Convention.caisse_id == tech_caisse_id(session))).one()
    convention.features = [f for f in convention.features if f != "actualites"]
    session.commit()
    without = {p["email"] for p in walk(lambda *a, **k: as_service.active_users(*a, **k, feature="actualites"),
                                        "999")[0]}
    assert TECH not in without and AGENT in without
    assert TECH in {p["email"] for p in walk(as_service.active_users, "999")[0]}     # the notices still reach them


def tech_caisse_id(session):
    return session.scalars(sa.select(Caisse.id).where(Caisse.code == "999")).one()


def test_inactive_accounts_are_left_out(session, as_service):
    tech = account(session, TECH)
    tech.status = "inactive"
    session.commit()
    assert TECH not in {p["email"] for p in walk(as_service.active_users, "999")[0]}


def test_password_expiries(session, as_service, monkeypatch):
    monkeypatch.setenv("EP_PASSWORD_RENEWAL_DAYS", "90")
    monkeypatch.setenv("EP_PASSWORD_RENEWAL_DAYS_ADMIN_NATIONAL", "0")      # never expires: no reminders
    items, _ = walk(as_service.password_expiries)
    by_email = {(p["email"], p["profile"]): p for p in items}
    assert (ADMIN, "admin_national") not in by_email
    tech = account(session, TECH)
    entry = by_email[(TECH, "technicien")]
    assert entry["password_changed_at"] == tech.password_changed_at.isoformat() + "Z"
    assert entry["expires_at"] == (tech.password_changed_at + timedelta(days=90)).isoformat() + "Z"


def test_only_a_service_streams_accounts(worker):
    with pytest.raises(NotAuthorized):
        worker(AGENT).active_users("999")
    with pytest.raises(NotAuthenticated):
        worker().password_expiries()


def test_caisse_contacts_for_anyone(worker):
    contacts = worker().caisse_contacts("999")
    assert contacts["name"] == "CPAM de Valfleuri" and contacts["referents"]
    assert set(contacts["referents"][0]) == {"kind", "name", "function", "phones", "phone", "email"}


def test_email_recipients_carry_their_caisses(session, worker):
    anonymous = worker()
    anonymous.request_password_reset(TECH_B)
    anonymous.request_password_reset(AGENT)
    tech_b, agent = [p["recipients"][0] for p in events_of(anonymous, events.PASSWORD_RESET_REQUESTED)]
    assert (tech_b["caisses"], tech_b["account_id"]) == (["998", "999"], account(session, TECH_B).id)
    assert agent["caisses"] == ["999"]


def test_a_convention_still_to_start_gives_its_caisse_nobody_yet(session, worker):
    """A caisse whose convention with a partner starts next week is not one of that partner's people's caisses
    (their emails would show in that caisse's delivery log before it has any right on them)."""
    tech = account(session, TECH)
    other = session.scalar(sa.select(Caisse).where(Caisse.code == "998"))
    session.add(Convention(partner_id=tech.partner_id, caisse_id=other.id, status="active",
                           start_date=date.today() + timedelta(days=7)))
    session.commit()
    anonymous = worker()
    anonymous.request_password_reset(TECH)
    [told] = [p["recipients"][0] for p in events_of(anonymous, events.PASSWORD_RESET_REQUESTED)]
    assert told["caisses"] == ["999"]
    session.execute(sa.update(Convention).where(Convention.partner_id == tech.partner_id,
                                                Convention.caisse_id == other.id).values(start_date=date.today()))
    session.commit()
    anonymous.request_password_reset(TECH)
    assert [p["recipients"][0]["caisses"] for p in events_of(anonymous, events.PASSWORD_RESET_REQUESTED)][-1] == \
        ["998", "999"]
