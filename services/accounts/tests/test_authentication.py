"""Logging in, the steps due at login, passwords and their links — through the
service's RPC methods on a real migrated database (worker_factory)."""
from datetime import timedelta

import pytest

from contracts import events
from contracts.errors import (AccountInactive, InvalidCredentials, InvalidToken, LoginThrottled, NotAuthenticated,
                              NotAuthorized, ProfileChoiceRequired, ValidationFailed)
from services.accounts import passwords, settings, throttle
from services.accounts.models import AuditEntry, PasswordToken, SignInCounter, utcnow
from services.conftest import WORKER_AUD, emitted_events
from services.accounts.tests.conftest import (AGENT, DOUBLE, TECH, account, counters, events_of, lock_of, log_in,
                                              one_password_for_both_profiles)

pytestmark = pytest.mark.db
TECH_PASSWORD = "Techni-Demo-2026!"


def test_demo_technicien_authenticates(session, worker):
    summary = worker().authenticate(TECH.upper(), TECH_PASSWORD)
    assert summary["profile"] == "technicien" and summary["pending"] == []
    assert summary["partner_name"] == "CCAS de Saint-Exemple"
    assert [(c["code"], c["name"]) for c in summary["caisses"]] == [("999", "CPAM de Valfleuri")]
    assert "document" in summary["caisses"][0]["features"] and summary["habilitated_body"] is False
    assert account(session, TECH).last_login_at is not None


def test_wrong_password_and_unknown_email_get_the_same_error(worker):
    with pytest.raises(InvalidCredentials) as wrong:
        worker().authenticate(TECH, "pas-le-bon-mot-de-passe")
    with pytest.raises(InvalidCredentials) as unknown:
        worker().authenticate("personne@inconnu.test", "pas-le-bon-mot-de-passe")
    assert wrong.value.message == unknown.value.message == "Adresse électronique ou mot de passe incorrect."


def test_one_email_two_accounts_with_their_own_passwords(worker):
    assert worker().authenticate(DOUBLE, "Double-Tech-2026!")["profile"] == "technicien"
    assert worker().authenticate(DOUBLE, "Double-Gest-2026!")["profile"] == "gestionnaire"


def test_profile_choice_when_both_passwords_match(session, worker):
    one_password_for_both_profiles(session)
    with pytest.raises(ProfileChoiceRequired) as choice:
        worker().authenticate(DOUBLE, "Double-Tech-2026!")
    assert {c["profile"] for c in choice.value.choices} == {"gestionnaire", "technicien"}
    summary = worker().authenticate_choice(choice.value.ticket, "gestionnaire")
    assert summary["profile"] == "gestionnaire"
    with pytest.raises(InvalidCredentials):
        worker().authenticate_choice(choice.value.ticket + "x", "gestionnaire")


def test_inactive_account_cannot_log_in(session, worker):
    account(session, TECH).status = "inactive"
    session.commit()
    with pytest.raises(AccountInactive):
        worker().authenticate(TECH, TECH_PASSWORD)


def test_suspended_partner_cannot_log_in(session, worker):
    account(session, TECH).partner.suspended_at = utcnow()
    session.commit()
    with pytest.raises(AccountInactive) as exc:
        worker().authenticate(TECH, TECH_PASSWORD)
    assert "suspendu" in exc.value.message


def test_me_requires_a_valid_signed_identity(session, worker):
    assert worker(TECH).me()["email"] == TECH
    with pytest.raises(NotAuthenticated):
        worker().me()


def test_growing_delay_then_lock_after_ten_failures(session, worker):
    tech = account(session, TECH)
    for attempt in range(1, 11):
        if attempt > 1:                          # let the previous delay run out
            counters(session, last_failure_at=utcnow() - timedelta(minutes=10))
        with pytest.raises(InvalidCredentials):
            worker().authenticate(TECH, "mauvais")
        if attempt == settings.FREE_FAILURES + 1:
            with pytest.raises(LoginThrottled) as delayed:     # immediately again: must wait
                worker().authenticate(TECH, TECH_PASSWORD)
            assert "patientez" in delayed.value.message
    until = lock_of(session, throttle.for_address(TECH))
    assert until and until > utcnow() + timedelta(minutes=14)
    with pytest.raises(LoginThrottled) as locked:
        worker().authenticate(TECH, TECH_PASSWORD)             # even the right password
    assert "verrouillé" in locked.value.message and locked.value.until
    actions = [e.action for e in session.query(AuditEntry).filter_by(target_id=tech.id)]
    assert actions.count("login_failed") == 10 and "login_locked" in actions
    counters(session, locked_until=utcnow() - timedelta(seconds=1))
    assert worker().authenticate(TECH, TECH_PASSWORD)["id"] == tech.id


def test_cgu_must_be_accepted_and_nothing_else_is_reachable_before(session, worker):
    account(session, AGENT).cgu_version = "ancienne"
    session.commit()
    summary = log_in(session, worker, AGENT, "Agent-Demo-2026!")
    assert summary["pending"] == ["cgu"]
    pending = worker(AGENT, pending=["cgu"])
    with pytest.raises(NotAuthorized):
        pending.list_partners()
    with pytest.raises(ValidationFailed):
        pending.accept_cgu("ancienne")
    assert pending.accept_cgu(settings.cgu_version())["pending"] == []


def test_expired_password_forces_a_change(session, worker, monkeypatch):
    account(session, TECH).password_changed_at = utcnow() - timedelta(days=366)
    session.commit()
    assert worker().authenticate(TECH, TECH_PASSWORD)["pending"] == ["password_expired"]
    monkeypatch.setenv("EP_PASSWORD_RENEWAL_DAYS_TECHNICIEN", "0")          # 0 disables renewal
    assert worker().authenticate(TECH, TECH_PASSWORD)["pending"] == []
    monkeypatch.delenv("EP_PASSWORD_RENEWAL_DAYS_TECHNICIEN")
    me = worker(TECH, pending=["password_expired"])
    with pytest.raises(ValidationFailed):
        me.change_password(TECH_PASSWORD, TECH_PASSWORD)                     # same as the last one
    summary = me.change_password(TECH_PASSWORD, "Nouvelle-Cle-Solide-42!")
    assert summary["pending"] == []
    [confirmation] = events_of(me, events.PASSWORD_CHANGED)
    assert confirmation["recipients"][0]["email"] == TECH


def test_new_password_must_differ_from_the_last_five(session, worker):
    me = worker(TECH)
    current = TECH_PASSWORD
    for n in range(1, 6):
        new = f"Rotation-Solide-{n}-Zq!"
        me.change_password(current, new)
        current = new
    with pytest.raises(ValidationFailed) as reused:
        me.change_password(current, "Rotation-Solide-2-Zq!")
    assert "déjà été utilisé" in reused.value.fields["password"]
    me.change_password(current, TECH_PASSWORD)                 # six changes ago: allowed again


def test_reset_link_is_single_use_and_silent_about_unknown_emails(session, worker):
    anonymous = worker()
    anonymous.request_password_reset("personne@inconnu.test")
    assert emitted_events(anonymous) == []
    anonymous.request_password_reset(TECH)
    [payload] = events_of(anonymous, events.PASSWORD_RESET_REQUESTED)
    token = payload["token"]
    assert anonymous.token_info(token)["state"] == "valid"
    with pytest.raises(ValidationFailed) as weak:
        anonymous.set_password_with_token(token, "court")
    assert "12 caractères" in weak.value.fields["password"]
    anonymous.set_password_with_token(token, "Nouveau-Mot-Solide-2026!")
    assert anonymous.token_info(token)["state"] == "invalid"
    with pytest.raises(InvalidToken):
        anonymous.set_password_with_token(token, "Encore-Un-Autre-Solide-2026!")
    assert anonymous.authenticate(TECH, "Nouveau-Mot-Solide-2026!")["id"]
    assert len(events_of(anonymous, events.PASSWORD_CHANGED)) == 1


def test_a_new_link_or_a_password_change_voids_previous_links(session, worker):
    anonymous = worker()
    anonymous.request_password_reset(TECH)
    anonymous.request_password_reset(TECH)
    first, second = [p["token"] for p in events_of(anonymous, events.PASSWORD_RESET_REQUESTED)]
    with pytest.raises(InvalidToken):
        anonymous.set_password_with_token(first, "Nouveau-Mot-Solide-2026!")
    worker(TECH).change_password(TECH_PASSWORD, "Change-Avant-Lien-2026!")
    with pytest.raises(InvalidToken):
        anonymous.set_password_with_token(second, "Nouveau-Mot-Solide-2026!")


def test_expired_reset_link_is_refused(session, worker):
    anonymous = worker()
    anonymous.request_password_reset(TECH)
    token = events_of(anonymous, events.PASSWORD_RESET_REQUESTED)[0]["token"]
    session.query(PasswordToken).update({"expires_at": utcnow() - timedelta(seconds=1)})
    session.commit()
    assert anonymous.token_info(token)["state"] == "expired"
    with pytest.raises(InvalidToken):
        anonymous.set_password_with_token(token, "Nouveau-Mot-Solide-2026!")
    with pytest.raises(InvalidToken):
        anonymous.renew_expired_invitation(token)               # only invitations can be renewed this way


@pytest.mark.parametrize("password, problem", [
    ("Abcdefgh1234!", None),
    ("Correct cheval agrafe batterie", None),                 # passphrase
    ("abcdefgh1234!", "Mélangez"),
    ("Ab1!", "au moins 12"),
    ("Lambertin-Solide-2026!", "ni votre nom"),
    ("Technicien-2026-Solide!", "ni votre adresse"),
    ("Azerty123456!", "trop courant"),
    ("Motdepasse2024!", "trop courant"),
    ("A1!a" * 33, "128"),
    ("", "au moins 12"),                                       # an emptied field, checked live (was a 500)
])
def test_password_policy(password, problem):
    problems = " ".join(passwords.violations(password, TECH, ("Hugo", "Lambertin")))
    assert (problem in problems) if problem else problems == ""


def test_hashes_are_argon2id_and_verify():
    hashed = passwords.hash_password("Abcdefgh1234!")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "Abcdefgh1234!")
    assert not passwords.verify_password(hashed, "Abcdefgh1234?")
    assert not passwords.verify_password(None, "Abcdefgh1234!")


def test_guessing_the_current_password_to_change_it_is_slowed_locked_and_journaled(session, worker):
    """A session left open must not be a way to guess the password without limit (issue 16)."""
    me = worker(TECH)
    refusals = []
    for n in range(12):
        try:
            me.change_password(f"Pas-le-bon-{n}-2026!", "Nouvelle-Cle-Solide-42!")
        except (ValidationFailed, LoginThrottled) as exc:
            refusals.append(type(exc).__name__)
    assert refusals[:3] == ["ValidationFailed"] * 3                 # three free failures, then a growing delay
    assert refusals[3:] == ["LoginThrottled"] * 9
    session.expire_all()
    journal = session.query(AuditEntry).filter(AuditEntry.target_id == account(session, TECH).id,
                                               AuditEntry.action == "password_change_failed").count()
    assert journal == 3
    with pytest.raises(LoginThrottled):                               # even the right one waits now
        me.change_password(TECH_PASSWORD, "Nouvelle-Cle-Solide-42!")


def test_a_login_ticket_opens_nothing_after_a_password_change_or_during_a_lock(session, worker):
    """The profile choice's ticket proved a password: not the one the account has after a change, and
    not while the account is locked (a ticket issued before the lock does not lift it) (issue 16)."""
    gest, tech = account(session, DOUBLE, "gestionnaire"), account(session, DOUBLE, "technicien")
    gest.password_hash = tech.password_hash                  # one password for both: a profile to choose
    session.commit()
    with pytest.raises(ProfileChoiceRequired) as choice:
        worker().authenticate(DOUBLE, "Double-Tech-2026!")
    session.add(SignInCounter(key=throttle.for_address(DOUBLE), locked_until=utcnow() + timedelta(minutes=15)))
    gest.password_hash = passwords.hash_password("Un-Autre-Secret-2026!")      # changed, say by a reset
    session.commit()
    with pytest.raises(InvalidCredentials) as changed:
        worker().authenticate_choice(choice.value.ticket, "gestionnaire")
    assert "a changé" in changed.value.message
    with pytest.raises(LoginThrottled):
        worker().authenticate_choice(choice.value.ticket, "technicien")
    assert lock_of(session, throttle.for_address(DOUBLE)) is not None          # the lock still runs


def test_reset_links_come_at_most_every_few_minutes_even_asked_twenty_times_at_once(session, monkeypatch):
    """Mail bombing through the official sender, each new link voiding the one about to be used (issue 16):
    twenty requests at once, each on its own connection as twenty service workers, send one link."""
    import eventlet
    from nameko.testing.services import worker_factory
    from sqlalchemy.orm import Session

    from services.accounts.service import AccountsService
    from services.accounts.tests.conftest import SECRET
    from services.common.caller import CallerIdentity

    monkeypatch.setenv("EP_RESET_LINK_EVERY_SECONDS", "300")
    tech_id = account(session, TECH).id

    def ask(_):
        own = Session(session.get_bind(), expire_on_commit=False)
        try:
            worker_factory(AccountsService, db=own, caller=CallerIdentity(None, SECRET, WORKER_AUD)).request_password_reset(TECH)
        finally:
            own.close()

    list(eventlet.GreenPool(20).imap(ask, range(20)))
    session.expire_all()
    links = session.query(PasswordToken).filter_by(account_id=tech_id, purpose="reset").count()
    asked = session.query(AuditEntry).filter_by(target_id=tech_id, action="password_reset_requested").count()
    assert (links, asked) == (1, 1)
    anonymous = worker_factory(AccountsService, db=session, caller=CallerIdentity(None, SECRET, WORKER_AUD))
    assert anonymous.request_password_reset(TECH) is None                 # the same silent answer…
    assert session.query(PasswordToken).filter_by(account_id=tech_id, purpose="reset").count() == 1   # …no link
    monkeypatch.setenv("EP_RESET_LINK_EVERY_SECONDS", "0")                 # the pace passed: a new link
    anonymous.request_password_reset(TECH)
    assert session.query(PasswordToken).filter_by(account_id=tech_id, purpose="reset").count() == 2
