"""Changing an account's address and the other irreversible actions behind a recent proof of identity
(issue 16): the old address is told, every session ends, every pending link is void, whoever changes
it (services.accounts.email_change.change_email); a fraud inactivation is lifted after a proof too."""
import pytest
import sqlalchemy as sa

from contracts import events
from contracts.errors import NotAuthenticated, ReauthenticationRequired, ValidationFailed
from services.accounts import email_change
from services.accounts.models import Account, AuditEntry, UserSession
from services.accounts.tests.conftest import (AGENT, AGENT_PLAIN, GEST, TECH, account, age_proof, events_of,
                                               person)

pytestmark = pytest.mark.db
AGENT_PASSWORD = "Agent-Demo-2026!"


def open_sessions(session, email):
    return session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
        UserSession.account_id == account(session, email).id, UserSession.ended_at.is_(None)))


def test_changing_a_gestionnaire_email_needs_a_recent_proof(session, worker):
    agent = worker(AGENT)
    gest_id = account(session, GEST).id
    age_proof(session, agent)
    assert agent.edit_gestionnaire(gest_id, {"phone": "0611223344"})["phone"] == "0611223344"   # not sensitive
    assert agent.edit_gestionnaire(gest_id, {"email": " Gestionnaire@CCAS-Saint-Exemple.test "})  # the same address
    with pytest.raises(ReauthenticationRequired):
        agent.edit_gestionnaire(gest_id, {"email": "ines.berthier@ccas-saint-exemple.test"})
    assert account(session, GEST).email == GEST
    agent.reauthenticate(AGENT_PASSWORD)
    assert agent.edit_gestionnaire(gest_id, {"email": "ines.berthier@ccas-saint-exemple.test"})["email"] == \
        "ines.berthier@ccas-saint-exemple.test"


def test_changing_an_agent_email_needs_a_recent_proof(session, worker):
    boss = worker(AGENT)
    target = account(session, AGENT_PLAIN).id
    age_proof(session, boss)
    with pytest.raises(ReauthenticationRequired):
        boss.edit_caisse_agent(target, {"email": "lucas.perrin@cpam-valfleuri.test"})
    boss.reauthenticate(AGENT_PASSWORD)
    assert boss.edit_caisse_agent(target, {"email": "lucas.perrin@cpam-valfleuri.test"})["email"] == \
        "lucas.perrin@cpam-valfleuri.test"
    [told] = events_of(boss, events.EMAIL_CHANGED)
    assert told["recipients"][0]["email"] == AGENT_PLAIN


def test_an_email_change_tells_the_old_address_ends_sessions_and_voids_links(session, worker):
    signed_in = worker(GEST)
    anonymous = worker()
    anonymous.request_password_reset(GEST)
    token = events_of(anonymous, events.PASSWORD_RESET_REQUESTED)[0]["token"]
    assert anonymous.token_info(token)["state"] == "valid" and open_sessions(session, GEST) == 1

    agent = worker(AGENT)
    agent.edit_gestionnaire(account(session, GEST).id, {"email": "ines.berthier@ccas-saint-exemple.test"})

    [old] = events_of(agent, events.EMAIL_CHANGED)
    assert [r["email"] for r in old["recipients"]] == [GEST]
    assert old["new_email"] == "i…@ccas-saint-exemple.test" and old["changed_by"] == "CPAM de Valfleuri"
    [new] = events_of(agent, events.EMAIL_CHANGED_NEW)
    assert [r["email"] for r in new["recipients"]] == ["ines.berthier@ccas-saint-exemple.test"]
    assert worker().token_info(token)["state"] == "invalid"                 # the link sent to the old address
    assert open_sessions(session, "ines.berthier@ccas-saint-exemple.test") == 0
    with pytest.raises(NotAuthenticated) as ended:
        signed_in.me()
    assert "adresse électronique du compte a été changée" in ended.value.message
    entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "email_changed")).one()
    assert entry.actor_name == "Claire Dumoulin" and "g…@ccas-saint-exemple.test" in entry.details


def test_an_account_not_yet_activated_is_invited_again_at_its_new_address(session, worker):
    """Through change_email itself, as a caisse applying a « correction » request calls it (issue 15)."""
    gest = worker(GEST)
    created = session.get(Account, gest.create_technicien(person("faute@ccas-saint-exemple.test"))["id"])
    [first] = events_of(gest, events.ACCOUNT_INVITED)
    agent = account(session, AGENT)
    with pytest.raises(ValidationFailed) as refused:
        email_change.change_email(session, agent, created, "juste@gmail.com", [])
    assert "professionnelle" in refused.value.fields["email"]
    assert not email_change.change_email(session, agent, created, "Faute@CCAS-Saint-Exemple.test", [])
    emitted = []
    assert email_change.change_email(session, agent, created, "juste@ccas-saint-exemple.test", emitted)
    session.commit()
    assert gest.token_info(first["token"])["state"] == "invalid"
    told = dict(emitted)
    assert told[events.EMAIL_CHANGED]["recipients"][0]["email"] == "faute@ccas-saint-exemple.test"
    assert told[events.ACCOUNT_INVITED]["recipients"][0]["email"] == "juste@ccas-saint-exemple.test"
    assert gest.token_info(told[events.ACCOUNT_INVITED]["token"])["state"] == "valid"
    assert events.EMAIL_CHANGED_NEW not in told              # the invitation is the new address's notice


@pytest.mark.parametrize("target, reason, inactivate, reactivate", [
    (TECH, "fraude", "inactivate_account", "reactivate_account"),                        # a partner's account
    (AGENT_PLAIN, "perte_vol", "inactivate_caisse_agent", "reactivate_caisse_agent"),   # an agent of the caisse
])
def test_lifting_a_fraud_inactivation_needs_a_recent_proof(session, worker, target, reason, inactivate, reactivate):
    agent = worker(AGENT)
    target_id = account(session, target).id
    getattr(agent, inactivate)(target_id, reason)
    age_proof(session, agent)
    with pytest.raises(ReauthenticationRequired):
        getattr(agent, reactivate)(target_id)
    assert account(session, target).status == "inactive"
    agent.reauthenticate(AGENT_PASSWORD)
    assert getattr(agent, reactivate)(target_id)["status"] == "active"


def test_reactivating_after_an_ordinary_inactivation_needs_no_new_proof(session, worker):
    gest = worker(GEST)
    tech_id = account(session, TECH).id
    gest.inactivate_account(tech_id, "gestionnaire")
    age_proof(session, gest)
    assert gest.reactivate_account(tech_id)["status"] == "active"


def test_switching_the_gestionnaires_second_factor_off_needs_a_recent_proof(session, worker):
    boss = worker(AGENT)
    assert boss.save_caisse_rules({"technicien_caps": "on", "partners_second_factor": "on"})["partners_second_factor"]
    age_proof(session, boss)
    with pytest.raises(ReauthenticationRequired):
        boss.save_caisse_rules({"technicien_caps": "on"})
    assert boss.caisse_settings()["partners_second_factor"] is True
    boss.reauthenticate(AGENT_PASSWORD)
    assert boss.save_caisse_rules({"technicien_caps": "on"})["partners_second_factor"] is False


def test_other_services_ask_for_the_callers_proof(session, worker):
    agent = worker(AGENT)
    assert agent.require_recent_proof() is None
    age_proof(session, agent)
    with pytest.raises(ReauthenticationRequired):
        agent.require_recent_proof()
