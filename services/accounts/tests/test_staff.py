"""The caisse's own staff (services.accounts.staff) and its settings (services.accounts.caisse_settings):
the administrateur de caisse manages the agents of its caisse only, a caisse always keeps one
administrateur (even under parallel requests), every change is audited, bad input writes nothing."""
from datetime import timedelta

import eventlet
import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from sqlalchemy.orm import Session

from contracts import events, identity
from contracts.errors import (AccountInactive, CapReached, NotAuthenticated, NotAuthorized, NotFound,
                              ReauthenticationRequired, RuleViolation, ValidationFailed)
from services.accounts import staff
from services.accounts.models import Account, AuditEntry, Caisse, UserSession, utcnow
from services.accounts.service import AccountsService
from services.accounts.tests.conftest import (ADMIN, AGENT, AGENT_B, AGENT_PLAIN, GEST, GEST_B, SECRET, TECH,
                                              account, events_of, identity_of, person)
from services.common.caller import CallerIdentity
from services.conftest import WORKER_AUD

pytestmark = pytest.mark.db


def actions(session, action):
    return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def agent_data(email, **extra):
    return person(email, function="Conseillère partenariats", **extra)


def test_the_national_admin_creates_a_caisse_and_its_first_agent_its_administrateur(session, worker):
    admin = worker(ADMIN)
    admin.save_caisse({"code": "601", "name": "CPAM de l'Oise fictive"})
    created = admin.create_caisse_agent(agent_data("premiere@cpam-oise.test"), "601")
    assert created["caisse_admin"] is True and created["caisse_code"] == "601"
    invited = events_of(admin, events.ACCOUNT_INVITED)
    assert invited[0]["organisation"] == "CPAM de l'Oise fictive"
    assert invited[0]["profile_label"] == "Agent de caisse" and invited[0]["second_factor_required"] is True
    second = admin.create_caisse_agent(agent_data("second@cpam-oise.test"), "601")
    assert second["caisse_admin"] is False                   # the caisse has its administrateur now
    with pytest.raises(NotFound):
        admin.create_caisse_agent(agent_data("x@cpam-oise.test"), "000")
    assert [r["email"] for r in admin.list_caisse_agents("601")["rows"]] == ["premiere@cpam-oise.test",
                                                                            "second@cpam-oise.test"]


def test_the_administrateur_manages_the_agents_of_its_caisse_only(session, worker):
    boss = worker(AGENT)
    created = boss.create_caisse_agent(agent_data("nouvelle@cpam-valfleuri.test"))
    assert created["caisse_admin"] is False and created["status"] == "active" and not created["activated"]
    assert events_of(boss, events.ACCOUNT_INVITED)[0]["recipients"][0]["email"] == "nouvelle@cpam-valfleuri.test"
    edited = boss.edit_caisse_agent(created["id"], {"function": "Responsable du pôle"})
    assert edited["function"] == "Responsable du pôle"
    boss.resend_agent_invitation(created["id"])
    assert {r["email"] for r in boss.list_caisse_agents()["rows"]} == {AGENT, AGENT_PLAIN,
                                                                      "nouvelle@cpam-valfleuri.test"}
    other_caisse = account(session, AGENT_B).id
    for call in (lambda: boss.edit_caisse_agent(other_caisse, {"function": "x"}),
                 lambda: boss.set_caisse_admin(other_caisse, False),
                 lambda: boss.inactivate_caisse_agent(other_caisse, "depart"),
                 lambda: boss.edit_caisse_agent(account(session, GEST).id, {"function": "x"}),   # not an agent
                 lambda: boss.list_caisse_agents("998")):
        with pytest.raises(NotFound):
            call()
    assert {a.action for a in session.scalars(sa.select(AuditEntry).where(AuditEntry.target_id == created["id"]))} \
        >= {"account_created", "account_edited", "invitation_resent"}


def test_a_plain_agent_and_the_partners_reach_neither_the_staff_nor_the_settings(session, worker):
    target = account(session, AGENT).id
    for email in (AGENT_PLAIN, GEST, TECH):
        who = worker(email)
        for call in (who.list_caisse_agents, who.caisse_settings, lambda: who.set_caisse_admin(target, False),
                     lambda: who.create_caisse_agent(agent_data("y@cpam-valfleuri.test")),
                     lambda: who.save_caisse_rules({}), lambda: who.save_caisse_referents([])):
            with pytest.raises((NotAuthorized, NotFound)):
                call()


def test_bad_input_gets_french_messages_on_the_fields_and_writes_nothing(session, worker):
    before = session.scalar(sa.select(sa.func.count()).select_from(Account))
    with pytest.raises(ValidationFailed) as refused:
        worker(AGENT).create_caisse_agent(agent_data("perso@gmail.com", last_name="", phone="12"))
    assert set(refused.value.fields) == {"email", "last_name", "phone"}
    assert "professionnelle" in refused.value.fields["email"]
    with pytest.raises(ValidationFailed) as refused:
        worker(AGENT).create_caisse_agent(agent_data(AGENT_PLAIN))                       # already an agent
    assert "existe déjà" in refused.value.fields["email"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Account)) == before
    assert not actions(session, "account_created")


def test_grant_and_remove_the_role_but_never_the_last_administrateur(session, worker):
    boss = worker(AGENT)
    plain, me = account(session, AGENT_PLAIN).id, account(session, AGENT).id
    with pytest.raises(RuleViolation) as refused:
        boss.set_caisse_admin(me, False)
    assert "dernier administrateur" in refused.value.message
    assert boss.set_caisse_admin(plain, True)["caisse_admin"] is True
    assert worker(AGENT_PLAIN).list_caisse_agents()["caisse"]["code"] == "999"      # the role works at once
    assert worker(AGENT_PLAIN).set_caisse_admin(me, False)["caisse_admin"] is False
    with pytest.raises(NotAuthorized):
        boss.list_caisse_agents()
    with pytest.raises(RuleViolation):
        worker(AGENT_PLAIN).set_caisse_admin(plain, False)
    with pytest.raises(RuleViolation):
        worker(ADMIN).inactivate_caisse_agent(plain, "depart")       # the national admin is held to it too
    with pytest.raises(NotAuthorized):
        worker(ADMIN).inactivate_account(plain, "demande_partenaire")   # not through the partners' accounts
    assert [a.target_name for a in actions(session, "caisse_admin_granted")] == ["Lucas Perrin"]
    assert [a.target_name for a in actions(session, "caisse_admin_removed")] == ["Claire Dumoulin"]


def test_an_inactivated_agent_is_out_at_once_and_can_be_reactivated(session, worker):
    plain = worker(AGENT_PLAIN)
    plain.list_partners()
    boss = worker(AGENT)
    target = account(session, AGENT_PLAIN).id
    with pytest.raises(ValidationFailed):
        boss.inactivate_caisse_agent(target, "gestionnaire")         # not a reason for an agent
    with pytest.raises(RuleViolation):
        boss.inactivate_caisse_agent(account(session, AGENT).id, "depart")    # oneself
    assert boss.inactivate_caisse_agent(target, "depart")["status"] == "inactive"
    with pytest.raises((AccountInactive, NotAuthenticated)):
        plain.list_partners()
    assert session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
        UserSession.account_id == target, UserSession.ended_at.is_(None))) == 0
    assert events_of(boss, events.ACCOUNT_INACTIVATED)[0]["recipients"][0]["email"] == AGENT_PLAIN
    assert boss.reactivate_caisse_agent(target)["status"] == "active"


def test_staff_changes_need_a_recent_proof_of_identity(session, worker):
    boss = worker(AGENT)
    row = session.get(UserSession, boss.caller.identity["session_id"])
    row.reauthenticated_at = utcnow() - timedelta(minutes=6)
    session.commit()
    target = account(session, AGENT_PLAIN).id
    for call in (lambda: boss.create_caisse_agent(agent_data("z@cpam-valfleuri.test")),
                 lambda: boss.set_caisse_admin(target, True), lambda: boss.inactivate_caisse_agent(target, "depart"),
                 lambda: boss.save_caisse_rules({"technicien_caps": True})):
        with pytest.raises(ReauthenticationRequired):
            call()
    assert boss.list_caisse_agents()["rows"]          # reading is not sensitive


def test_the_summary_says_who_is_administrateur_de_caisse(session, worker):
    assert worker(AGENT).me()["caisse_admin"] is True
    assert worker(AGENT_PLAIN).me()["caisse_admin"] is False
    assert worker(GEST).me()["caisse_admin"] is False


# --- two administrateurs removing each other at the same moment ------------------------------------

def _worker_on_its_own_connection(session, email):
    """A worker with its own database session (own connection, own transaction), as two service
    workers handling two requests at once have."""
    own = Session(session.get_bind(), expire_on_commit=False)
    token = identity.sign(identity_of(account(session, email)), SECRET, WORKER_AUD)
    return worker_factory(AccountsService, db=own, caller=CallerIdentity(token, SECRET, WORKER_AUD)), own


@pytest.mark.parametrize("how", ["remove", "inactivate"])
def test_two_administrateurs_removing_each_other_at_once_leave_one(session, worker, monkeypatch, how):
    worker(AGENT).set_caisse_admin(account(session, AGENT_PLAIN).id, True)
    ids = {AGENT: account(session, AGENT).id, AGENT_PLAIN: account(session, AGENT_PLAIN).id}
    pairs = [(_worker_on_its_own_connection(session, AGENT), ids[AGENT_PLAIN]),
             (_worker_on_its_own_connection(session, AGENT_PLAIN), ids[AGENT])]
    # Both requests have read everything (actor, target, role) before either takes the caisse's lock.
    barrier = eventlet.semaphore.Semaphore(0)
    waiting = []
    original = staff._lock_caisse

    def meet_then_lock(db, caisse_id):
        waiting.append(1)
        if len(waiting) == 1:
            barrier.acquire()
        else:
            barrier.release()
            eventlet.sleep(0)
        original(db, caisse_id)
        if db.get_bind().dialect.name == "postgresql":
            # Hold the lock a moment: the other one is at the door, waiting in PostgreSQL. (SQLite's
            # lock is waited for in C, which would stall the eventlet hub: there the two serialise.)
            eventlet.sleep(0.05)

    monkeypatch.setattr(staff, "_lock_caisse", meet_then_lock)

    def act(pair):
        (service, own), target = pair
        try:
            if how == "remove":
                return service.set_caisse_admin(target, False)
            return service.inactivate_caisse_agent(target, "depart")
        except (RuleViolation, NotAuthorized) as exc:
            return exc
        finally:
            own.rollback()
            own.close()

    outcomes = [thread.wait() for thread in [eventlet.spawn(act, pair) for pair in pairs]]
    assert len(waiting) == 2
    assert sum(isinstance(o, dict) for o in outcomes) == 1, outcomes
    session.expire_all()
    admins = session.scalars(sa.select(Account).where(Account.caisse_admin.is_(True), Account.status == "active",
                                                      Account.caisse_id == account(session, AGENT).caisse_id))
    assert len(list(admins)) == 1


# --- « Paramètres de la caisse » ---------------------------------------------------------------------

def test_rules_are_saved_by_the_administrateur_each_change_audited(session, worker):
    saved = worker(AGENT).save_caisse_rules({"technicien_inactivity": "on", "technicien_inactivity_days": "120",
                                             "technicien_inactivity_warning_days": "20", "technicien_caps": "on",
                                             "partners_second_factor": ""})
    assert (saved["technicien_inactivity"], saved["technicien_inactivity_days"],
            saved["technicien_inactivity_warning_days"]) == (True, 120, 20)
    details = [a.details for a in actions(session, "caisse_setting")]
    assert details == ["inactivation des techniciens sans connexion : désactivée → activée",
                       "délai d'inactivité : 90 jours → 120 jours", "avertissement : 15 jours avant → 20 jours avant"]
    assert worker(AGENT).caisse_settings()["technicien_inactivity_days"] == 120
    assert worker(ADMIN).caisse_settings("999")["technicien_inactivity_days"] == 120     # read by the admin
    with pytest.raises(NotFound):
        worker(ADMIN).save_caisse_rules({})                # the administrateur's own screen only


def test_bad_rules_write_nothing(session, worker):
    for data, field in (({"technicien_inactivity": "on", "technicien_inactivity_days": "trois",
                          "technicien_inactivity_warning_days": "15"}, "technicien_inactivity_days"),
                        ({"technicien_inactivity": "on", "technicien_inactivity_days": "30",
                          "technicien_inactivity_warning_days": "45"}, "technicien_inactivity_warning_days")):
        with pytest.raises(ValidationFailed) as refused:
            worker(AGENT).save_caisse_rules({**data, "technicien_caps": ""})
        assert field in refused.value.fields
    session.expire_all()
    caisse = session.scalars(sa.select(Caisse).where(Caisse.code == "999")).one()
    assert (caisse.technicien_inactivity, caisse.technicien_caps) == (False, True)
    assert not actions(session, "caisse_setting")


def test_technicien_caps_switched_off_by_every_caisse_of_the_partner(session, worker):
    # Le Relais Fictif: 998 applies no caps (demo data), 999 does: the caps still hold for it.
    assert worker(GEST_B).habilitation_table()["caps"]["technicien"]["max"] == 25
    gest = worker(GEST)                                   # CCAS, 8 members: 5 techniciens at most, with 999 only
    for i in range(4):
        gest.create_technicien(person(f"t{i}@ccas-saint-exemple.test"))
    with pytest.raises(CapReached):
        gest.create_technicien(person("trop@ccas-saint-exemple.test"))
    worker(AGENT).save_caisse_rules({"technicien_caps": ""})
    assert gest.create_technicien(person("trop@ccas-saint-exemple.test"))["status"] == "active"
    assert gest.habilitation_table()["caps"]["technicien"]["max"] is None
    assert worker(GEST).habilitation_table()["caps"]["gestionnaire"]["max"] == 2      # all five agreements


def test_second_factor_of_gestionnaires_is_on_the_settings_screen(session, worker):
    worker(AGENT).save_caisse_rules({"technicien_caps": "on", "partners_second_factor": "on"})
    assert "second_factor" in worker().authenticate(GEST, "Gestion-Demo-2026!")["pending"]
    assert [a.details for a in actions(session, "caisse_setting")] == [
        "double authentification des gestionnaires : facultative → exigée"]


def test_referents_any_number_with_phones_or_a_shared_mailbox(session, worker):
    referents = [{"kind": "person", "name": "Anne Vidal", "function": "Référente", "phones": ["01 23 45 67 89",
                                                                                               "+33612345678"],
                  "email": "a.vidal@cpam-valfleuri.test"},
                 {"kind": "mailbox", "name": "Service partenaires", "phones": [], "email": "bal@cpam-valfleuri.test"}]
    saved = worker(AGENT).save_caisse_referents(referents)
    assert [r["phones"] for r in saved["referents"]] == [["01 23 45 67 89", "+33612345678"], []]
    contacts = worker().caisse_contacts("999")["referents"]
    assert contacts[0]["phone"] == "01 23 45 67 89, +33612345678" and contacts[1]["kind"] == "mailbox"
    assert actions(session, "caisse_referents")[0].details == "référents : Anne Vidal, Service partenaires"
    with pytest.raises(ValidationFailed) as refused:
        worker(AGENT).save_caisse_referents([referents[1], {"kind": "person", "name": "Sans téléphone",
                                                            "function": "Référent", "phones": ["12"],
                                                            "email": "x@cpam-valfleuri.test"}])
    assert list(refused.value.fields) == ["referents.1"] and "téléphone" in refused.value.fields["referents.1"]
    assert len(worker().caisse_contacts("999")["referents"]) == 2           # unchanged


def test_the_summary_tells_partners_where_the_inactivity_rule_applies(session, worker):
    caisses = {c["code"]: c["technicien_inactivity"] for c in worker(GEST_B).me()["caisses"]}
    assert caisses == {"999": None, "998": {"days": 90, "warning_days": 15, "caisse_name": "CPAM des Hauts-Fictifs"}}


def test_the_data_protection_contact_is_set_by_the_administrateur_audited_and_public(session, worker):
    """« Données personnelles » names each caisse's data-protection contact: anyone reads it (signed out
    too), only the caisse's administrateur sets it, each field change is journaled, bad input writes nothing."""
    saved = worker(AGENT).save_caisse_data_protection({"email": " Protection.Donnees@cpam-valfleuri.test ",
                                                       "address": "1 place  de l'Exemple"})
    assert saved["data_protection"] == {"email": "protection.donnees@cpam-valfleuri.test", "address": "1 place de l'Exemple"}
    assert worker().caisse_contacts("999")["data_protection"]["email"] == "protection.donnees@cpam-valfleuri.test"
    listed = {c["code"]: c["data_protection"] for c in worker().public_directory()}
    assert listed["999"]["address"] == "1 place de l'Exemple" and "998" in listed
    details = [a.details for a in actions(session, "caisse_setting")]
    assert any(d.startswith("protection des données, adresse électronique") for d in details)
    with pytest.raises(ValidationFailed) as refused:
        worker(AGENT).save_caisse_data_protection({"email": "pas-une-adresse", "address": "x" * 301})
    assert set(refused.value.fields) == {"email", "address"}
    assert worker().caisse_contacts("999")["data_protection"]["email"] == "protection.donnees@cpam-valfleuri.test"
    for email in (AGENT_PLAIN, GEST, TECH):
        with pytest.raises((NotAuthorized, NotFound)):
            worker(email).save_caisse_data_protection({"email": "x@cpam-valfleuri.test"})
