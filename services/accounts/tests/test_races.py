"""Race-free rules (issue 16, point 2): every counter, cap, last-gestionnaire rule, one-time code and
single-use link holds when twenty requests arrive at once, each served by its own worker on its own
database connection (services.accounts.tests.conftest.at_once), on SQLite and on PostgreSQL."""
import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from contracts import events
from contracts.errors import (InvalidCredentials, LoginThrottled, ProfileChoiceRequired, RuleViolation,
                              SecondFactorRequired)
from services.accounts import habilitation, passwords, throttle
from services.accounts.models import Account, AuditEntry, PasswordToken, RecoveryCode, UserSession, utcnow
from services.accounts.seed import DEMO_TOTP_SECRETS
from services.accounts.tests.conftest import (AGENT, DOUBLE, GEST, TECH, account, at_once, events_of, lock_of,
                                              one_password_for_both_profiles, person)

pytestmark = pytest.mark.db
TWENTY = 20


@pytest.fixture(autouse=True)
def wide_hashing_lane(monkeypatch):
    """Twenty hashes may wait their turn here: the lane's own refusals are tested in test_hashing_lane."""
    monkeypatch.setenv("EP_HASHING_CONCURRENCY", str(TWENTY))
    monkeypatch.setenv("EP_HASHING_WAIT_SECONDS", "120")
    monkeypatch.setattr(passwords, "_lane", None)
    yield
    monkeypatch.setattr(passwords, "_lane", None)


def kinds(outcomes) -> list[str]:
    return sorted(type(o).__name__ if isinstance(o, Exception) else "ok" for o in outcomes)


def test_twenty_wrong_passwords_at_once_all_count_and_reach_the_lock(session):
    tech_id = account(session, TECH).id
    outcomes = at_once(session, lambda w: w.authenticate(TECH, "Pas-le-bon-2026!"), [None] * TWENTY)
    assert kinds(outcomes) == ["InvalidCredentials"] * TWENTY, "|".join(o.message for o in outcomes[-6:])
    numbers = sorted(int(re.search(r"\d+", e.details).group()) for e in session.scalars(sa.select(AuditEntry).where(
        AuditEntry.target_id == tech_id, AuditEntry.action == "login_failed")))
    assert numbers == sorted(list(range(1, 11)) * 2)          # each failure counted once: twice the ten of a lock
    assert lock_of(session, throttle.for_address(TECH)) > utcnow() + timedelta(minutes=14)
    [locked] = at_once(session, lambda w: w.authenticate(TECH, "Techni-Demo-2026!"), [None])
    assert isinstance(locked, LoginThrottled) and "verrouillé" in locked.message


def code_ticket(worker, email, password) -> str:
    with pytest.raises(SecondFactorRequired) as step:
        worker().authenticate(email, password)
    return step.value.ticket


def test_the_same_authenticator_code_twenty_times_at_once_opens_one_session(session, worker):
    ticket = code_ticket(worker, AGENT, "Agent-Demo-2026!")
    code = pyotp.TOTP(DEMO_TOTP_SECRETS[("agent_caisse", AGENT)]).now()
    outcomes = at_once(session, lambda w: w.authenticate_second_factor(ticket, code), [None] * TWENTY)
    assert sum(isinstance(o, dict) for o in outcomes) == 1, kinds(outcomes)
    assert all(isinstance(o, (dict, InvalidCredentials, LoginThrottled)) for o in outcomes), outcomes


def test_the_same_recovery_code_twenty_times_at_once_is_spent_once(session, worker):
    me = worker(TECH)
    secret = me.begin_second_factor()["pending"]["secret"]
    recovery = me.confirm_second_factor(pyotp.TOTP(secret).now())["recovery_codes"][0]
    ticket = code_ticket(worker, TECH, "Techni-Demo-2026!")
    outcomes = at_once(session, lambda w: w.authenticate_second_factor(ticket, recovery), [None] * TWENTY)
    assert sum(isinstance(o, dict) for o in outcomes) == 1, kinds(outcomes)
    spent = session.scalars(sa.select(RecoveryCode).where(RecoveryCode.account_id == account(session, TECH).id,
                                                          RecoveryCode.used_at.is_not(None))).all()
    assert len(spent) == 1
    told = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "recovery_code_used")).all()
    assert len(told) == 1


def one_below_the_cap(session, profile: str) -> tuple[int, int]:
    """GEST's partner with one active ``profile`` account fewer than its cap (accounts added as needed).
    -> (the partner's id, its cap)."""
    gest = account(session, GEST)
    limit = habilitation.cap(profile, gest.partner.member_count)
    for n in range(limit - 1 - active_count(session, gest.partner_id, profile)):
        session.add(Account(**person(f"deja-{profile}-{n}@ccas-saint-exemple.test"), profile=profile,
                            partner_id=gest.partner_id, created_by_name="Essai", gestionnaire_id=gest.id))
    session.commit()
    return gest.partner_id, limit


def active_count(session, partner_id, profile) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Account).where(
        Account.partner_id == partner_id, Account.profile == profile, Account.status == "active"))


def test_twenty_creations_at_once_one_below_the_cap_create_one(session):
    partner_id, limit = one_below_the_cap(session, "technicien")
    emails = iter(f"course-{n}@ccas-saint-exemple.test" for n in range(TWENTY))
    outcomes = at_once(session, lambda w: w.create_technicien(person(next(emails))), [GEST] * TWENTY)
    assert kinds(outcomes) == ["CapReached"] * (TWENTY - 1) + ["ok"], outcomes
    assert active_count(session, partner_id, "technicien") == limit


def test_twenty_reactivations_at_once_beyond_the_cap_keep_the_cap(session):
    partner_id, limit = one_below_the_cap(session, "technicien")
    gest = account(session, GEST)
    sleeping = []
    for n in range(TWENTY):
        row = Account(**person(f"endormi-{n}@ccas-saint-exemple.test"), profile="technicien", partner_id=partner_id,
                      created_by_name="Essai", gestionnaire_id=gest.id, status="inactive",
                      inactivated_at=utcnow(), inactivation_reason="gestionnaire")
        session.add(row)
        sleeping.append(row)
    session.commit()
    ids = iter([row.id for row in sleeping])
    outcomes = at_once(session, lambda w: w.reactivate_account(next(ids)), [GEST] * TWENTY)
    assert kinds(outcomes) == ["CapReached"] * (TWENTY - 1) + ["ok"], outcomes
    assert active_count(session, partner_id, "technicien") == limit


def test_two_last_gestionnaires_inactivated_at_once_leave_one(session, worker):
    gest = account(session, GEST)
    other = Account(**person("second-gestionnaire@ccas-saint-exemple.test"), profile="gestionnaire",
                    partner_id=gest.partner_id, created_by_name="Essai")
    session.add(other)
    session.commit()
    assert active_count(session, gest.partner_id, "gestionnaire") == 2
    for _ in range(3):                                # three rounds: the two calls meet in varying order
        targets = iter([gest.id, other.id] * (TWENTY // 2))
        outcomes = at_once(session, lambda w: w.inactivate_account(next(targets), "demande_partenaire"),
                           [AGENT] * TWENTY)
        assert active_count(session, gest.partner_id, "gestionnaire") == 1, outcomes
        assert sum(isinstance(o, dict) for o in outcomes) == 1
        assert all(isinstance(o, (dict, RuleViolation)) for o in outcomes), outcomes
        session.execute(sa.update(Account).where(Account.id.in_([gest.id, other.id]))
                        .values(status="active", inactivated_at=None, inactivation_reason=None))
        session.commit()


def test_a_profile_choice_ticket_sent_twenty_times_at_once_opens_one_session(session, worker):
    one_password_for_both_profiles(session)
    with pytest.raises(ProfileChoiceRequired) as choice:
        worker().authenticate(DOUBLE, "Double-Tech-2026!")
    outcomes = at_once(session, lambda w: w.authenticate_choice(choice.value.ticket, "technicien"), [None] * TWENTY)
    assert kinds(outcomes) == ["InvalidCredentials"] * (TWENTY - 1) + ["ok"], outcomes
    assert session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
        UserSession.account_id == account(session, DOUBLE, "technicien").id)) == 1


def test_an_invitation_asked_again_twenty_times_at_once_is_sent_once(session, worker, monkeypatch):
    monkeypatch.setenv("EP_RESET_LINK_EVERY_SECONDS", "300")
    row = worker(GEST).create_technicien(person("relance-course@ccas-saint-exemple.test"))
    outcomes = at_once(session, lambda w: w.resend_invitation(row["id"]), [GEST] * TWENTY)
    assert kinds(outcomes) == ["RuleViolation"] * (TWENTY - 1) + ["ok"], outcomes
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.target_id == row["id"], AuditEntry.action == "invitation_resent")) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(PasswordToken).where(
        PasswordToken.account_id == row["id"], PasswordToken.used_at.is_(None))) == 1


def test_an_activation_link_used_twenty_times_at_once_activates_once(session, worker):
    gest = worker(GEST)
    gest.create_technicien(person("activation-course@ccas-saint-exemple.test"))
    [invitation] = events_of(gest, events.ACCOUNT_INVITED)
    outcomes = at_once(session, lambda w: w.set_password_with_token(invitation["token"], "Nouvelle-Cle-Solide-42!"),
                       [None] * TWENTY)
    assert kinds(outcomes) == ["InvalidToken"] * (TWENTY - 1) + ["ok"], outcomes
    new = account(session, "activation-course@ccas-saint-exemple.test")
    assert new.password_hash and session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.target_id == new.id, AuditEntry.action == "password_changed")) == 1
    assert session.scalars(sa.select(PasswordToken).where(PasswordToken.account_id == new.id)).one().used_at
