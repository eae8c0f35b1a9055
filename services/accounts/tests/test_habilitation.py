"""The habilitation rules of the agreements, through the service's RPC methods."""
from datetime import timedelta

import pytest

from contracts import events
from contracts.errors import (AccountInactive, CapReached, InvalidToken, NotAuthorized, NotFound, RuleViolation,
                              ValidationFailed)
from services.accounts.models import Account, Convention, PasswordToken, utcnow
from services.accounts.tests.conftest import (ADMIN, AGENT, AGENT_B, AGENT_PLAIN, GEST, GEST_B, TECH, TECH_B, account,
                                               events_of, person)

pytestmark = pytest.mark.db


def test_agent_habilitates_gestionnaires_within_the_cap(session, worker):
    agent = worker(AGENT)
    partner_id = account(session, GEST).partner_id                     # 8 members: 2 gestionnaires
    created = agent.create_gestionnaire(partner_id, person("alice.essai@ccas-saint-exemple.test"))
    assert created["profile"] == "gestionnaire" and created["activated"] is False
    [invite] = events_of(agent, events.ACCOUNT_INVITED)
    assert invite["recipients"][0]["email"] == "alice.essai@ccas-saint-exemple.test"
    assert invite["profile_label"] == "Gestionnaire" and invite["organisation"] == "CCAS de Saint-Exemple"
    expires = invite["expires_at"][:10]
    assert expires == (utcnow() + timedelta(days=7)).date().isoformat()
    with pytest.raises(CapReached) as cap:
        agent.create_gestionnaire(partner_id, person("bob.essai@ccas-saint-exemple.test"))
    assert "2 pour 8 membres" in cap.value.message


def test_bigger_partner_has_a_bigger_cap(session, worker):
    agent = worker(AGENT)
    partner_id = account(session, GEST_B).partner_id                   # 30 members: 5 gestionnaires
    for n in range(3):                                                 # 2 exist already
        agent.create_gestionnaire(partner_id, person(f"g{n}@relais-fictif.test"))
    with pytest.raises(CapReached):
        agent.create_gestionnaire(partner_id, person("g9@relais-fictif.test"))


def test_gestionnaire_creates_techniciens_within_the_cap(session, worker):
    gest = worker(GEST)
    for n in range(4):                                                 # 1 exists, cap 5
        row = gest.create_technicien(person(f"t{n}@ccas-saint-exemple.test"))
        assert row["created_by"] == "Inès Berthier"
    assert len(events_of(gest, events.ACCOUNT_INVITED)) == 4
    with pytest.raises(CapReached) as cap:
        gest.create_technicien(person("t9@ccas-saint-exemple.test"))
    assert "techniciens" in cap.value.message


def test_only_the_right_profiles_create_accounts(session, worker):
    partner_id = account(session, GEST).partner_id
    with pytest.raises(NotAuthorized):
        worker(TECH).create_technicien(person("x@ccas-saint-exemple.test"))
    with pytest.raises(NotAuthorized):
        worker(GEST).create_gestionnaire(partner_id, person("x@ccas-saint-exemple.test"))
    with pytest.raises(NotFound):                                      # caisse 998 has no convention with partner 1
        worker(AGENT_B).create_gestionnaire(partner_id, person("x@ccas-saint-exemple.test"))


@pytest.mark.parametrize("email, message", [
    ("quelquun@gmail.com", "professionnelle"),
    ("pas-une-adresse", "invalide"),
    ("technicien@ccas-saint-exemple.test", "existe déjà"),
])
def test_professional_unique_emails_only(worker, email, message):
    with pytest.raises(ValidationFailed) as exc:
        worker(GEST).create_technicien(person(email))
    assert message in exc.value.fields["email"]


def test_partner_may_restrict_emails_to_its_domains(session, worker):
    account(session, GEST).partner.email_domains = "saint-exemple.fr"
    session.commit()
    with pytest.raises(ValidationFailed) as exc:
        worker(GEST).create_technicien(person("t@autre-domaine.fr"))
    assert "saint-exemple.fr" in exc.value.fields["email"]
    assert worker(GEST).create_technicien(person("t@ccas.saint-exemple.fr"))["email"] == "t@ccas.saint-exemple.fr"


def test_same_email_may_hold_a_gestionnaire_and_a_technicien_account(worker):
    row = worker(GEST).create_technicien(person(GEST))
    assert row["profile"] == "technicien" and row["email"] == GEST


def test_invitation_link_sets_the_password_once_and_can_be_renewed_when_expired(session, worker):
    gest = worker(GEST)
    gest.create_technicien(person("nouveau@ccas-saint-exemple.test"))
    token = events_of(gest, events.ACCOUNT_INVITED)[0]["token"]
    assert session.query(PasswordToken).filter_by(token_hash=token).count() == 0      # stored hashed
    pending = gest.pending_invitations()
    assert [p["email"] for p in pending] == ["nouveau@ccas-saint-exemple.test"]

    session.query(PasswordToken).update({"expires_at": utcnow() - timedelta(minutes=1)})
    session.commit()
    anonymous = worker()
    assert anonymous.token_info(token)["state"] == "expired"
    anonymous.renew_expired_invitation(token)
    fresh = events_of(anonymous, events.ACCOUNT_INVITED)[0]["token"]
    with pytest.raises(InvalidToken):
        anonymous.renew_expired_invitation(fresh)                   # not expired: nothing to renew
    anonymous.set_password_with_token(fresh, "Premiere-Cle-Solide-2026!")
    assert anonymous.authenticate("nouveau@ccas-saint-exemple.test", "Premiere-Cle-Solide-2026!")["pending"] == ["cgu"]
    assert gest.pending_invitations() == []


def test_resend_invitation_voids_the_old_link(session, worker):
    gest = worker(GEST)
    row = gest.create_technicien(person("relance@ccas-saint-exemple.test"))
    old = events_of(gest, events.ACCOUNT_INVITED)[0]["token"]
    gest.resend_invitation(row["id"])
    new = events_of(gest, events.ACCOUNT_INVITED)[1]["token"]
    assert worker().token_info(old)["state"] == "invalid" and worker().token_info(new)["state"] == "valid"
    with pytest.raises(RuleViolation):
        gest.resend_invitation(account(session, TECH).id)             # already activated


def test_an_invitation_is_sent_again_at_most_every_few_minutes(session, worker, monkeypatch):
    """The « renvoyer » button is no way to flood an address through the official sender."""
    monkeypatch.setenv("EP_RESET_LINK_EVERY_SECONDS", "300")
    gest = worker(GEST)
    row = gest.create_technicien(person("relance-rythme@ccas-saint-exemple.test"))
    gest.resend_invitation(row["id"])
    with pytest.raises(RuleViolation) as soon:
        gest.resend_invitation(row["id"])
    assert "attendez 5 minutes" in soon.value.message
    assert len(events_of(gest, events.ACCOUNT_INVITED)) == 2                  # the creation's and one again
    monkeypatch.setenv("EP_RESET_LINK_EVERY_SECONDS", "0")                     # the pace passed: sent again
    gest.resend_invitation(row["id"])
    assert len(events_of(gest, events.ACCOUNT_INVITED)) == 3


def test_only_the_caisse_edits_a_gestionnaire(session, worker):
    gest_id = account(session, GEST).id
    with pytest.raises(NotAuthorized):
        worker(GEST).edit_gestionnaire(gest_id, {"phone": "0611223344"})
    row = worker(AGENT).edit_gestionnaire(gest_id, {"phone": "06 11 22 33 44", "function": "Directrice"})
    assert (row["phone"], row["function"]) == ("0611223344", "Directrice")
    with pytest.raises(ValidationFailed) as exc:
        worker(AGENT).edit_gestionnaire(gest_id, {"phone": "abc"})
    assert "Téléphone" in exc.value.fields["phone"]


def test_last_gestionnaire_cannot_be_inactivated(session, worker):
    gest = account(session, GEST)
    with pytest.raises(RuleViolation) as exc:
        worker(AGENT).inactivate_account(gest.id, "demande_partenaire")
    assert "dernier gestionnaire" in exc.value.message
    assert account(session, GEST).status == "active"


def test_techniciens_of_an_inactivated_gestionnaire_are_reattached(session, worker):
    agent = worker(AGENT)
    gest, tech = account(session, GEST), account(session, TECH)
    second = agent.create_gestionnaire(gest.partner_id, person("relais@ccas-saint-exemple.test"))
    agent.inactivate_account(gest.id, "demande_partenaire")
    session.refresh(tech)
    assert tech.status == "active" and tech.gestionnaire_id == second["id"]
    [notice] = events_of(agent, events.ACCOUNT_INACTIVATED)
    assert notice["recipients"][0]["email"] == GEST


def test_fraud_inactivation_is_immediate_and_notifies_the_gestionnaires(session, worker):
    before = worker(TECH)
    agent = worker(AGENT)
    agent.inactivate_account(account(session, TECH).id, "fraude")
    with pytest.raises(AccountInactive):
        before.me()                                  # the open session stops at its next request
    [notice] = events_of(agent, events.FRAUD_INACTIVATION)
    assert [r["email"] for r in notice["recipients"]] == [GEST]
    assert notice["account_name"] == "Hugo Lambertin" and notice["reason_label"] == "suspicion de fraude"
    with pytest.raises(NotAuthorized):
        worker(GEST).reactivate_account(account(session, TECH).id)   # only the caisse, after fraud
    agent.reactivate_account(account(session, TECH).id)
    assert account(session, TECH).status == "active"


def test_gestionnaire_inactivates_and_reactivates_techniciens_of_its_partner_only(session, worker):
    gest = worker(GEST)
    tech_id = account(session, TECH).id
    assert gest.inactivate_account(tech_id, "gestionnaire")["status"] == "inactive"
    assert gest.reactivate_account(tech_id)["status"] == "active"
    with pytest.raises(NotAuthorized):
        gest.inactivate_account(account(session, TECH_B).id, "gestionnaire")      # another partner
    with pytest.raises(ValidationFailed):
        gest.inactivate_account(tech_id, "fraude")                                # caisse's reason only


def test_reactivation_respects_the_cap(session, worker):
    gest = worker(GEST)
    tech_id = account(session, TECH).id
    gest.inactivate_account(tech_id, "gestionnaire")
    for n in range(5):
        gest.create_technicien(person(f"cap{n}@ccas-saint-exemple.test"))
    with pytest.raises(CapReached):
        gest.reactivate_account(tech_id)


def test_suspending_a_partner_cuts_every_account_off(session, worker):
    agent = worker(AGENT)
    partner_id = account(session, GEST).partner_id
    tech = worker(TECH)
    agent.suspend_partner(partner_id, True)
    with pytest.raises(AccountInactive):
        tech.me()
    agent.suspend_partner(partner_id, False)
    with pytest.raises(AccountInactive):
        tech.me()                                   # reinstating does not bring the ended sessions back
    assert worker(TECH).me()["email"] == TECH       # a new login works again


def test_end_of_one_convention_keeps_accounts_when_another_remains(session, worker):
    partner_id = account(session, GEST_B).partner_id               # conventions with 999 and 998
    conventions = {c.caisse.code: c.id for c in session.query(Convention).filter_by(partner_id=partner_id)}
    worker(AGENT).end_convention(conventions["999"])
    assert account(session, GEST_B).status == "active"
    assert [c["code"] for c in worker(GEST_B).me()["caisses"]] == ["998"]
    with pytest.raises(RuleViolation):
        worker(AGENT).end_convention(conventions["999"])
    with pytest.raises(NotFound):
        worker(AGENT).end_convention(conventions["998"])           # not its caisse's
    last = worker(AGENT_B)
    last.end_convention(conventions["998"])
    assert {a.status for a in session.query(Account).filter_by(partner_id=partner_id)} == {"inactive"}
    assert len(events_of(last, events.ACCOUNT_INACTIVATED)) == 4


def test_habilitation_table_csv_and_reviews(session, worker):
    gest = worker(GEST)
    table = gest.habilitation_table()
    assert [r["email"] for r in table["rows"]] == [GEST, TECH]
    assert table["caps"] == {"gestionnaire": {"active": 1, "max": 2, "over": False},
                             "technicien": {"active": 1, "max": 5, "over": False}}
    gest.create_technicien(person("cmd@ccas-saint-exemple.test", last_name="-Essai"))
    csv_text = gest.habilitation_csv()
    assert csv_text.startswith("\ufeffNom;Prénom;Adresse électronique")
    assert "'-Essai;Alice" in csv_text                             # spreadsheet formulas neutralised
    with pytest.raises(RuleViolation):
        gest.confirm_review()                                      # nothing asked yet
    agent = worker(AGENT)
    agent.request_review(account(session, GEST).partner_id)
    [asked] = events_of(agent, events.REVIEW_REQUESTED)
    assert asked["recipients"][0]["email"] == GEST and asked["reminder"] is False
    with pytest.raises(RuleViolation):
        agent.request_review(account(session, GEST).partner_id)   # one open review at a time
    confirmed = gest.confirm_review()
    assert confirmed["confirmed_by"] == "Inès Berthier" and confirmed["confirmed_at"]


def test_agents_see_only_their_caisse_partners_and_audit(session, worker):
    assert [p["name"] for p in worker(AGENT).list_partners()] == ["Association Le Relais Fictif", "CCAS de Saint-Exemple"]
    assert [p["name"] for p in worker(AGENT_B).list_partners()] == ["Association Le Relais Fictif"]
    worker(GEST).inactivate_account(account(session, TECH).id, "gestionnaire")
    log = worker(AGENT).audit_log(account(session, GEST).partner_id)
    assert log[0]["action"] == "account_inactivated" and log[0]["actor"] == "Inès Berthier"
    assert log[0]["target"] == "Hugo Lambertin"
    with pytest.raises(NotFound):
        worker(AGENT_B).audit_log(account(session, GEST).partner_id)
    with pytest.raises(NotAuthorized):
        worker(GEST).audit_log()


def test_agent_registers_partners_and_bad_input_gets_every_field_error(session, worker):
    data = {"name": "CIAS du Val Imaginaire", "kind": "CIAS", "siret": "26000000000000", "address": "3 rue X",
            "member_count": 12, "start_date": "2026-02-01", "features": ["document", "rendez_vous"]}
    with pytest.raises(RuleViolation):                    # SIRET of Saint-Exemple: already with caisse 999
        worker(AGENT).register_partner(data)
    with pytest.raises(ValidationFailed) as bad:
        worker(AGENT).register_partner({**data, "siret": "123", "member_count": 0, "features": []})
    assert set(bad.value.fields) == {"siret", "member_count", "features"}
    with pytest.raises(NotAuthorized):
        worker(GEST).register_partner(data)
    row = worker(AGENT).register_partner({**data, "siret": "26000000000018"})
    assert row["name"] == "CIAS du Val Imaginaire" and [c["caisse_code"] for c in row["conventions"]] == ["999"]


def test_caisse_for_department_routes_to_the_caisse_on_the_platform(worker):
    assert worker(TECH).caisse_for_department("80") == "999"
    assert worker(TECH).caisse_for_department("02") == "998"
    assert worker(TECH).caisse_for_department("75") is None
    with pytest.raises(ValidationFailed) as bad:
        worker(ADMIN).save_caisse({"code": "603", "name": "CPAM test", "departments": "60 20 975"})
    assert "Départements" in bad.value.fields["departments"]


def test_national_admin_manages_caisses(worker):
    saved = worker(ADMIN).save_caisse({"code": "601", "name": "CPAM de l'Oise fictive", "address": "x",
                                       "referents": [{"name": "Référent", "function": "f", "phone": "0102030405",
                                                      "email": "ref@cpam-oise.test"}]})
    assert saved["code"] == "601"
    with pytest.raises(ValidationFailed):
        worker(ADMIN).save_caisse({"code": "999", "name": "Doublon"})
    with pytest.raises(NotAuthorized):
        worker(AGENT).save_caisse({"code": "602", "name": "Non"})


def test_caisse_agents_only_for_a_service_identity(session, worker):
    from contracts import identity
    from services.accounts.service import AccountsService
    from services.accounts.tests.conftest import SECRET
    from nameko.testing.services import worker_factory
    from services.common.caller import CallerIdentity
    from services.conftest import WORKER_AUD

    service = worker_factory(AccountsService, db=session, caller=CallerIdentity(
        identity.sign({"id": None, "profile": "service", "service": "requests"}, SECRET, WORKER_AUD), SECRET,
        WORKER_AUD))
    listed = service.caisse_agents("999")
    assert listed["name"] == "CPAM de Valfleuri" and [a["email"] for a in listed["agents"]] == [AGENT, AGENT_PLAIN]
    with pytest.raises(NotAuthorized):
        worker(AGENT).caisse_agents("999")
