"""Conventions across the real stack (issue 14): the SIRET attempt of the issue ends in a proposal
emailed to the partner's gestionnaire, who answers it in the portal; two gestionnaires answering the
same proposal at once get exactly one outcome; the partner's record, the convention's end, notice and
referent, and the per-convention suspension on the agent's screens."""
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest

from contracts.errors import RuleViolation
from services.web.users import identity_of
from tests.helpers import accounts_db, authenticated, csrf_from, link_in, login, login_with, post_form, rpc_as
from tests.test_web_partners import fictitious_siret, page_of, person, register_partner, unique_email

pytestmark = [pytest.mark.integration, pytest.mark.db]

PASSWORD = "Convention-Solide-2026!"


def call(app, method, *args, who):
    with app.app_context():
        return app.extensions["services"].call("accounts", method, *args, who=who, timeout=10)


def activated_gestionnaire(app, mailbox, client, agent, partner_id) -> dict:
    """A gestionnaire habilitated by the agent, activated through its link, CGU accepted: its identity."""
    email = f"g-{uuid.uuid4().hex[:8]}@structure-essai.test"
    agent("create_gestionnaire", partner_id, {"civility": "Mme", "last_name": "Course", "first_name": "Lou",
                                              "function": "Directrice", "phone": "0123456789", "email": email})
    response = post_form(client, link_in(mailbox.wait_for(email), "/activation/"),
                         {"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303
    first = identity_of(authenticated(app, email, PASSWORD))
    call(app, "accept_cgu", call(app, "current_cgu_version", who={}), who=first)
    return {"email": email, "who": identity_of(authenticated(app, email, PASSWORD))}


def test_two_gestionnaires_answer_the_same_proposal_at_once(app, mailbox, client):
    agent_x, agent_y = rpc_as(app, "agent_caisse"), rpc_as(app, "agent_autre_caisse")
    siret = fictitious_siret()
    partner = agent_x("register_partner", {
        "name": f"Structure en course {uuid.uuid4().hex[:6]}", "kind": "Association", "siret": siret,
        "address": "1 rue de la Course", "member_count": 5, "start_date": "2026-01-01", "features": ["document"]})
    first, second = (activated_gestionnaire(app, mailbox, client, agent_x, partner["id"]) for _ in range(2))
    known = {**partner, "siret": siret, "start_date": "2026-01-01", "features": ["document"]}

    def race(first_accepts: bool, second_accepts: bool) -> list:
        proposal = agent_y("register_partner", known)
        assert proposal["limited"] and proposal["state"] == "proposed"
        mailbox.wait_for(first["email"], containing="propose une convention")

        def answer(person, accept):
            try:
                return call(app, "answer_convention_proposal", proposal["convention_id"], accept, who=person["who"])
            except RuleViolation as exc:
                return exc
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(answer, (first, second), (first_accepts, second_accepts)))
        won = [o for o in outcomes if isinstance(o, dict)]
        assert len(won) == 1, outcomes
        assert [o.message for o in outcomes if isinstance(o, RuleViolation)] == [
            "Cette proposition de convention a déjà reçu une réponse."]
        return won

    for _ in range(3):
        [won] = race(False, False)
        assert won["state"] == "refused"
    [won] = race(True, False)
    listed = {p["name"]: p for p in agent_y("list_partners")}[partner["name"]]
    assert listed["limited"] is (won["state"] == "refused")
    journal = agent_x("audit_log", partner["id"], 50)
    answers = [e for e in journal if e["action"] in ("convention_accepted", "convention_refused")]
    assert len(answers) == 4


# --- the screens -----------------------------------------------------------------------------------

CCAS_SIRET = "26000000000000"


def forget_pending_proposals():
    """A session's earlier tests may have left Hauts-Fictifs' proposal to the CCAS pending (the access
    tables' world does): the SIRET attempt starts from the demo state."""
    accounts_db("DELETE FROM convention WHERE status = 'proposed' AND partner_id = "
                "(SELECT id FROM partner WHERE siret = :siret)", siret=CCAS_SIRET)


def test_web_the_siret_attempt_of_the_issue_gets_a_proposal_and_no_staff(client, app, mailbox):
    forget_pending_proposals()
    login(client, "agent_autre_caisse")
    answer = post_form(client, "/partenaires/nouveau", {
        "name": "CCAS tapé", "kind": "CCAS", "siret": CCAS_SIRET, "address": "1 rue", "member_count": "8",
        "start_date": "01/01/2026", "tacit_renewal": "y", "features": ["document"]})
    assert answer.status_code == 303 and answer.headers["Location"] == "/partenaires"
    listing = page_of(client.get("/partenaires"))
    assert "Ce SIRET est déjà connu : CCAS de Saint-Exemple reçoit une proposition de convention" in listing
    assert re.search(r'<th scope="row">CCAS de Saint-Exemple</th>\s*<td colspan="5"><span class="badge badge-inactive">'
                     r"Proposition en attente de la réponse de la structure</span>", listing)
    assert 'href="/partenaires/1"' not in listing and "ccas-saint-exemple.test" not in listing
    gest = rpc_as(app, "gestionnaire")("me")["id"]
    token = csrf_from(listing)
    for path in ("/partenaires/1", "/partenaires/1/habilitations", "/partenaires/1/habilitations.csv",
                 "/partenaires/1/journal", "/partenaires/1/fiche", f"/partenaires/1/comptes/{gest}/modifier"):
        assert client.get(path).status_code == 404, path
    for path, data in (("/partenaires/1/suspension", {"suspendre": "1"}), ("/partenaires/1/gestionnaires", {}),
                       ("/partenaires/1/revue", {})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 404, path
    mailbox.wait_for("gestionnaire@ccas-saint-exemple.test", containing="propose une convention")

    # The CCAS's gestionnaire answers in the portal (here: refuses, the demo data stays as it was).
    partner_side = app.test_client()
    login(partner_side, "gestionnaire")
    page = page_of(partner_side.get("/conventions"))
    proposal = re.search(r'id="convention-(\d+)"[^>]*>\s*<h2[^>]*>CPAM des Hauts-Fictifs\s*<span[^>]*>Proposition en '
                         r"attente", page)
    assert proposal and "Accepter la convention" in page and "Refuser" in page
    refused = partner_side.post(f"/conventions/{proposal[1]}/reponse", data={"csrf_token": csrf_from(page),
                                                                            "accepter": "0"})
    assert refused.status_code == 303
    assert "La convention proposée par CPAM des Hauts-Fictifs est refusée." in page_of(partner_side.get("/conventions"))
    assert "Proposition refusée par la structure" in page_of(client.get("/partenaires"))


def test_web_accepting_opens_the_partner_to_the_caisse(client, app, mailbox):
    agent_x = rpc_as(app, "agent_caisse")
    siret = fictitious_siret()
    partner = agent_x("register_partner", {
        "name": f"Structure acceptante {uuid.uuid4().hex[:6]}", "kind": "CCAS", "siret": siret, "address": "1 rue",
        "member_count": 5, "start_date": "2026-01-01", "features": ["document"]})
    gestionnaire = activated_gestionnaire(app, mailbox, app.test_client(), agent_x, partner["id"])
    rpc_as(app, "agent_autre_caisse")("register_partner", {**partner, "siret": siret, "start_date": "2026-01-01",
                                                           "features": ["document"]})
    assert login_with(client, gestionnaire["email"], PASSWORD).status_code == 303
    page = page_of(client.get("/conventions"))
    convention = re.search(r'action="/conventions/(\d+)/reponse"', page)[1]
    assert client.post(f"/conventions/{convention}/reponse",
                       data={"csrf_token": csrf_from(page), "accepter": "1"}).status_code == 303
    assert "est acceptée" in page_of(client.get("/conventions"))
    agent_y = app.test_client()
    login(agent_y, "agent_autre_caisse")
    detail = page_of(agent_y.get(f"/partenaires/{partner['id']}"))
    assert "Convention avec CPAM des Hauts-Fictifs" in detail and gestionnaire["email"] in detail


def test_web_partner_record_convention_and_suspension(client, app):
    login(client, "agent_caisse")
    partner, name = register_partner(client, member_count="12")                 # 3 gestionnaires
    detail = f"/partenaires/{partner}"
    token = csrf_from(page_of(client.get(detail)))
    for n in range(3):
        assert client.post(f"{detail}/gestionnaires", data={"csrf_token": token, **person(unique_email())}
                           ).status_code == 303
    bad = client.post(f"{detail}/fiche", data={"csrf_token": token, "name": name, "kind": "Association",
                                               "address": "3 rue", "member_count": "beaucoup"})
    assert bad.status_code == 200
    assert re.search(r'aria-invalid="true"[^>]*id="member_count"|id="member_count"[^>]*aria-invalid="true"',
                     page_of(bad))
    assert "Nombre de membres de la structure : un nombre entier positif." in page_of(bad)
    saved = client.post(f"{detail}/fiche", data={"csrf_token": token, "name": name, "kind": "Association",
                                                 "address": "3 rue Neuve", "member_count": "5"})
    assert saved.status_code == 303
    page = page_of(client.get(detail))
    assert f"La fiche de {name} est enregistrée." in page
    assert "3 gestionnaires sont actifs pour un plafond de 2" in page and "aucun compte gestionnaire ne peut" in page

    convention = re.search(r'id="convention-(\d+)"', page)[1]
    edit = f"{detail}/conventions/{convention}/modifier"
    form = page_of(client.get(edit))
    assert '<label for="notice">Préavis contre la reconduction</label>' in form
    past = client.post(edit, data={"csrf_token": token, "end_date": "02/01/2026", "tacit_renewal": "y"})
    assert "La date de fin ne peut pas être passée" in page_of(past)
    end = (date.today() + timedelta(days=300))
    ok = client.post(edit, data={"csrf_token": token, "end_date": end.strftime("%d/%m/%Y"), "tacit_renewal": "y",
                                 "notice": "partner", "referent_name": "Nadia Essai", "referent_function": "Directrice",
                                 "referent_phone": "01 23 45 67 89", "referent_email": "nadia@structure-essai.test"})
    assert ok.status_code == 303
    page = page_of(client.get(detail))
    assert "La convention avec CPAM de Valfleuri est enregistrée." in page
    assert f"préavis donné par la structure (enregistré par la caisse) : elle prend fin le {end:%d/%m/%Y}" in page
    assert "Nadia Essai, Directrice" in page

    assert client.post(f"{detail}/suspension", data={"csrf_token": token, "suspendre": "1"}).status_code == 303
    page = page_of(client.get(detail))
    assert f"L'accès de {name} à CPAM de Valfleuri est suspendu." in page
    assert "Rétablir l'accès du partenaire à votre caisse" in page and "Couper la structure" not in page
    admin = app.test_client()
    login(admin, "admin_national")
    page = page_of(admin.get(detail))
    assert client.post(f"{detail}/suspension", data={"csrf_token": token, "suspendre": "0"}).status_code == 303
    assert admin.post(f"{detail}/suspension", data={"csrf_token": csrf_from(page), "suspendre": "1"}).status_code == 303
    assert f"L'accès de {name} à toutes les caisses est suspendu." in page_of(admin.get(detail))
    assert "Coupé de toutes les caisses" in page_of(client.get(detail))


def test_web_a_convention_that_starts_later_opens_nothing_before_its_start(client):
    login(client, "agent_caisse")
    start = date.today() + timedelta(days=10)
    name = f"Structure future {uuid.uuid4().hex[:6]}"
    answer = post_form(client, "/partenaires/nouveau", {
        "name": name, "kind": "CCAS", "siret": fictitious_siret(), "address": "1 rue", "member_count": "8",
        "start_date": start.strftime("%d/%m/%Y"), "tacit_renewal": "y", "features": ["document"]})
    assert answer.status_code == 303 and answer.headers["Location"] == "/partenaires"
    listing = page_of(client.get("/partenaires"))
    assert f"{name} est enregistré. Sa convention commence le {start:%d/%m/%Y}" in listing
    assert re.search(rf'<th scope="row">{re.escape(name)}</th>\s*<td colspan="5"><span class="badge badge-inactive">'
                     r"Signée, pas encore commencée</span>", listing)
