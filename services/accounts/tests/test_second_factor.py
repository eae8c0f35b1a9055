"""Second factor (TOTP, recovery codes) and re-authentication before sensitive actions,
through the service's RPC methods on a real migrated database (worker_factory)."""
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from contracts import events
from contracts.errors import (InvalidCredentials, LoginThrottled, NotAuthenticated, NotAuthorized,
                              ReauthenticationRequired, RuleViolation, SecondFactorRequired, ValidationFailed)
from services.accounts import sealing, second_factor, settings
from services.accounts.models import AuditEntry, UserSession, utcnow
from services.accounts.seed import DEMO_TOTP_SECRETS
from services.accounts.tests.conftest import AGENT, AGENT_B, GEST, GEST_B, TECH, account, events_of, person

pytestmark = pytest.mark.db
TECH_PASSWORD = "Techni-Demo-2026!"
AGENT_SECRET = DEMO_TOTP_SECRETS[("agent_caisse", AGENT)]


def actions(session, email):
    target = account(session, email)
    return [e.action for e in session.scalars(sa.select(AuditEntry).where(AuditEntry.target_id == target.id)
                                              .order_by(AuditEntry.id))]


def code_at(secret, offset_steps=0):
    """The code of the current time step (or one step either side, within the drift allowed)."""
    return pyotp.TOTP(secret).generate_otp(second_factor._step(utcnow()) + offset_steps)


def enrol(worker, email=TECH):
    """Enrol ``email`` from its own session; -> (secret, recovery codes)."""
    me = worker(email)
    secret = me.begin_second_factor()["pending"]["secret"]
    codes = me.confirm_second_factor(code_at(secret, -1))["recovery_codes"]
    return secret, codes


def told(worker_instance):
    """The changes the person is told of by email."""
    return [(p["change"], p["recipients"][0]["email"]) for p in events_of(worker_instance, events.SECOND_FACTOR_CHANGED)]


def test_agent_login_needs_the_code_once_and_wrong_codes_are_throttled(session, worker):
    with pytest.raises(SecondFactorRequired) as step:
        worker().authenticate(AGENT, "Agent-Demo-2026!")
    ticket = step.value.ticket
    assert not session.scalars(sa.select(UserSession).where(
        UserSession.account_id == account(session, AGENT).id)).first()      # no session before the code
    with pytest.raises(InvalidCredentials):
        worker().authenticate_second_factor(ticket, "000000" if code_at(AGENT_SECRET) != "000000" else "111111")
    code = code_at(AGENT_SECRET)
    summary = worker().authenticate_second_factor(ticket, code)
    assert summary["email"] == AGENT and summary["session_token"] and summary["second_factor"] is True
    with pytest.raises(InvalidCredentials) as replayed:
        worker().authenticate_second_factor(ticket, code_at(AGENT_SECRET, 1))   # a ticket opens one session
    assert "déjà servi" in replayed.value.message
    with pytest.raises(SecondFactorRequired) as step:
        worker().authenticate(AGENT, "Agent-Demo-2026!")
    ticket = step.value.ticket
    with pytest.raises(InvalidCredentials) as replayed:
        worker().authenticate_second_factor(ticket, code)                   # a code works once
    assert "déjà utilisé" in replayed.value.message
    with pytest.raises(NotAuthenticated):
        worker().authenticate_second_factor(ticket + "x", code_at(AGENT_SECRET, 1))    # a forged ticket
    assert actions(session, AGENT).count("second_factor_failed") == 2
    for _ in range(settings.FREE_FAILURES):       # the failures count with wrong passwords: soon a delay
        with pytest.raises((InvalidCredentials, LoginThrottled)):
            worker().authenticate_second_factor(ticket, "123 456" if code_at(AGENT_SECRET) != "123456" else "654321")
    with pytest.raises(LoginThrottled):
        worker().authenticate_second_factor(ticket, code_at(AGENT_SECRET, 1))


def test_a_code_ticket_opens_one_session_even_with_another_good_code(session, worker):
    """A ticket seen once (a log, a shared screen, a proxy) opens nothing without the password afterwards."""
    secret, recovery = enrol(worker)
    with pytest.raises(SecondFactorRequired) as step:
        worker().authenticate(TECH, TECH_PASSWORD)
    worker().authenticate_second_factor(step.value.ticket, code_at(secret))
    with pytest.raises(InvalidCredentials) as again:
        worker().authenticate_second_factor(step.value.ticket, recovery[0])
    assert "déjà servi" in again.value.message
    with pytest.raises(SecondFactorRequired) as step:
        worker().authenticate(TECH, TECH_PASSWORD)
    assert worker().authenticate_second_factor(step.value.ticket, recovery[0])["session_token"]   # not spent by the replay
    assert "recovery_code_used" in actions(session, TECH)


def test_enrolment_shows_the_secret_until_confirmed_then_never_and_keeps_it_sealed(session, worker):
    me = worker(TECH)
    assert me.second_factor_status()["enrolled"] is False and me.second_factor_status()["required"] is False
    started = me.begin_second_factor()
    secret = started["pending"]["secret"]
    assert len(secret) == 32 and started["pending"]["uri"].startswith("otpauth://totp/Espace%20Partenaires:")
    stored = account(session, TECH).totp_pending_secret
    assert secret not in stored and sealing.open_sealed(stored, f"account:{account(session, TECH).id}") == secret
    with pytest.raises(ValueError):
        sealing.open_sealed(stored, f"account:{account(session, GEST).id}")      # moved to another account
    with pytest.raises(ValidationFailed) as wrong:
        me.confirm_second_factor("000000" if code_at(secret) != "000000" else "111111")
    assert "code" in wrong.value.fields
    codes = me.confirm_second_factor(code_at(secret))["recovery_codes"]
    assert told(me) == [("enrolled", TECH)]
    assert len(codes) == 10 and len(set(codes)) == 10 and all(len(c) == 11 for c in codes)
    status = me.second_factor_status()
    assert status["enrolled"] and status["pending"] is None and status["recovery_codes_left"] == 10
    assert secret not in str(status) and secret not in account(session, TECH).totp_secret
    with pytest.raises(RuleViolation):
        me.begin_second_factor()
    assert "second_factor_enrolled" in actions(session, TECH)
    with pytest.raises(SecondFactorRequired):
        worker().authenticate(TECH, TECH_PASSWORD)


def test_recovery_codes_log_in_once_and_renewing_voids_the_old_ones(session, worker):
    secret, codes = enrol(worker)
    with pytest.raises(SecondFactorRequired) as step:
        worker().authenticate(TECH, TECH_PASSWORD)
    anonymous = worker()
    assert anonymous.authenticate_second_factor(step.value.ticket, codes[0].upper())["email"] == TECH
    assert told(anonymous) == [("recovery_code_used", TECH)]
    with pytest.raises(InvalidCredentials) as spent:
        worker().authenticate_second_factor(ticket(worker), codes[0])           # single use
    assert "déjà utilisé" in spent.value.message
    assert "recovery_code_used" in actions(session, TECH)
    me = worker(TECH)
    assert me.second_factor_status()["recovery_codes_left"] == 9
    fresh = me.renew_recovery_codes(code_at(secret, 1))
    assert told(me) == [("recovery_codes_renewed", TECH)]
    assert set(fresh).isdisjoint(codes) and me.second_factor_status()["recovery_codes_left"] == 10
    with pytest.raises(InvalidCredentials):
        worker().authenticate_second_factor(ticket(worker), codes[1])           # the old ones are void
    assert worker().authenticate_second_factor(ticket(worker), fresh[3])["email"] == TECH


def ticket(worker, email=TECH, password=TECH_PASSWORD) -> str:
    """A new code step's ticket (one ticket opens one session)."""
    with pytest.raises(SecondFactorRequired) as step:
        worker().authenticate(email, password)
    return step.value.ticket


def test_optional_second_factor_is_disabled_with_a_code_but_a_required_one_is_not(session, worker):
    secret, _codes = enrol(worker)
    me = worker(TECH)
    with pytest.raises(InvalidCredentials):
        me.disable_second_factor("")
    me.disable_second_factor(code_at(secret, 1))
    assert told(me) == [("disabled", TECH)]
    assert worker().authenticate(TECH, TECH_PASSWORD)["email"] == TECH         # the password suffices again
    assert "second_factor_disabled" in actions(session, TECH)
    with pytest.raises(RuleViolation) as required:
        worker(AGENT).disable_second_factor(code_at(AGENT_SECRET))
    assert "obligatoire" in required.value.message


def test_agents_without_a_second_factor_must_enrol_before_anything_else(session, worker):
    agent = account(session, AGENT_B)
    agent.totp_secret = None
    session.commit()
    summary = worker().authenticate(AGENT_B, "Agent2-Demo-2026!")             # the password opens a session…
    assert summary["pending"] == ["second_factor"]                            # …held to the enrolment step
    held = worker(AGENT_B, pending=summary["pending"])
    with pytest.raises(NotAuthorized):
        held.list_partners()
    secret = held.begin_second_factor()["pending"]["secret"]
    assert held.confirm_second_factor(code_at(secret))["summary"]["pending"] == []


def test_a_caisse_requires_the_second_factor_of_its_partners_gestionnaires(session, worker):
    with pytest.raises(NotAuthorized):
        worker(GEST).save_caisse_rules({"partners_second_factor": "on", "technicien_caps": "on"})
    assert worker(AGENT).save_caisse_rules({"partners_second_factor": "on", "technicien_caps": "on"})[
        "partners_second_factor"] is True            # « Paramètres de la caisse » (services.accounts.caisse_settings)
    assert "second_factor" in worker().authenticate(GEST, "Gestion-Demo-2026!")["pending"]
    assert worker().authenticate(TECH, TECH_PASSWORD)["pending"] == []          # techniciens: still their choice
    # Le Relais Fictif is also under convention with the caisse: its gestionnaires too.
    assert "second_factor" in worker().authenticate(GEST_B, "Relais-Gest-2026!")["pending"]
    assert worker(AGENT).save_caisse_rules({"technicien_caps": "on"})["partners_second_factor"] is False
    assert worker().authenticate(GEST, "Gestion-Demo-2026!")["pending"] == []
    assert session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "caisse_setting")).first()


def _age_proof(session, who_worker, minutes):
    row = session.get(UserSession, who_worker.caller.identity["session_id"])
    row.reauthenticated_at = utcnow() - timedelta(minutes=minutes)
    session.commit()


def test_creating_or_inactivating_accounts_needs_a_recent_proof_of_identity(session, worker):
    gest = worker(GEST)
    created = gest.create_technicien(person("frais@ccas-saint-exemple.test"))   # the login is a fresh proof
    _age_proof(session, gest, 6)
    with pytest.raises(ReauthenticationRequired) as refused:
        gest.create_technicien(person("tard@ccas-saint-exemple.test"))
    assert "confirmez votre identité" in refused.value.message.lower()
    with pytest.raises(ReauthenticationRequired):
        gest.inactivate_account(created["id"], "gestionnaire")
    with pytest.raises(InvalidCredentials):
        gest.reauthenticate("pas-le-bon-mot-de-passe")
    assert "reauthentication_failed" in actions(session, GEST)
    gest.reauthenticate("Gestion-Demo-2026!")
    assert gest.inactivate_account(created["id"], "gestionnaire")["status"] == "inactive"
    assert "reauthenticated" in actions(session, GEST)


def test_enrolling_an_authenticator_needs_a_recent_proof(session, worker):
    """A stolen session must not enrol its own authenticator (issue 16): past the window, confirm first."""
    tech = worker(TECH)
    assert tech.begin_second_factor()["pending"]["secret"]                       # the login is a fresh proof
    _age_proof(session, tech, 6)
    for call in (tech.begin_second_factor, lambda: tech.confirm_second_factor("000000")):
        with pytest.raises(ReauthenticationRequired):
            call()
    tech.reauthenticate("Techni-Demo-2026!")
    assert tech.begin_second_factor()["pending"]["secret"]


def test_an_agent_confirms_with_a_code_once(session, worker):
    agent = worker(AGENT)
    _age_proof(session, agent, 10)
    tech = account(session, TECH)
    with pytest.raises(ReauthenticationRequired):
        agent.inactivate_account(tech.id, "fraude")
    code = code_at(AGENT_SECRET)
    agent.reauthenticate(code)
    _age_proof(session, agent, 10)
    with pytest.raises(InvalidCredentials):
        agent.reauthenticate(code)                                            # replayed
    agent.reauthenticate(code_at(AGENT_SECRET, 1))
    assert agent.inactivate_account(tech.id, "fraude")["status"] == "inactive"


def test_a_lost_phone_is_reset_by_whoever_manages_the_account(session, worker):
    enrol(worker, TECH)
    tech = account(session, TECH)
    with pytest.raises(NotAuthorized):
        worker(GEST_B).reset_second_factor(tech.id)                 # another partner's gestionnaire
    gest = worker(GEST)
    assert next(r for r in gest.habilitation_table()["rows"] if r["id"] == tech.id)["second_factor"] is True
    _age_proof(session, gest, 6)
    with pytest.raises(ReauthenticationRequired):
        gest.reset_second_factor(tech.id)                           # a sensitive action too
    gest.reauthenticate("Gestion-Demo-2026!")
    assert gest.reset_second_factor(tech.id)["second_factor"] is False
    assert told(gest) == [("reset", TECH)] and "second_factor_reset" in actions(session, TECH)
    assert worker().authenticate(TECH, TECH_PASSWORD)["email"] == TECH          # the password alone, until re-enrolled
    with pytest.raises(RuleViolation):
        gest.reset_second_factor(tech.id)
    with pytest.raises(NotAuthorized):
        worker(AGENT).reset_second_factor(account(session, AGENT_B).id)         # an agent: only by the national admin


# Sealed (EP_TOTP_KEY = "s" * 40, account 42) by the sealing code before keys came from contracts.keys.
SEALED_BEFORE_KEYS = "s1.2ZFnnKmQEOqTJe-2pUU7ddOoNYA806u7yoLr0h6ju5K5cPRfpbpjyUQtggB7oj5NobAP82MNCsFSDd6i91iE5A=="


def test_values_sealed_before_the_per_purpose_keys_still_open():
    """The sealing keys keep their labels: no migration, no enrolled authenticator lost (issue 16)."""
    assert sealing.open_sealed(SEALED_BEFORE_KEYS, "account:42") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(ValueError):
        sealing.open_sealed(SEALED_BEFORE_KEYS, "account:43")
