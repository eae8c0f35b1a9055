"""« Demandes à la caisse » through the web against the real services (issue 15, points 1 and 2): a fresh
structure's gestionnaire asks for a gestionnaire's habilitation, the caisse's agent sees it counted on its
home page and in its queue, refuses without a reason (the message on its field), approves (the invitation
arrives at the SMTP catcher); the 15 days of notice of a departure on the date field; a report of a lost
technicien's credentials cuts the account at once and comes first in the queue; another structure and
another caisse get a 404."""
import re
import uuid
from datetime import date, timedelta

import pytest

from tests.helpers import (LOGINS, accounts_db, csrf_from, link_in, login, login_with, new_technicien, post_form,
                           rpc_as, second_factor_code)
from tests.test_web_habilitation import PASSWORD, person, structure  # noqa: F401 (the module's fixture)
from tests.test_web_partners import page_of

pytestmark = [pytest.mark.integration, pytest.mark.db]


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}@structure-essai.test"


def gestionnaire_client(app, structure):  # noqa: F811
    client = app.test_client()
    response = post_form(client, "/connexion", {"email": structure["email"], "password": PASSWORD})
    assert response.status_code == 303
    return client


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}"[^>]*aria-invalid="true"[^>]*aria-describedby="{field_id}-error"', page)
    assert match, f"no error tied to {field_id}"
    return re.search(rf'<p class="error-text" id="{field_id}-error">([^<]+)</p>', page)[1]


def test_habilitation_request_refused_then_approved_and_invited(app, mailbox, structure):  # noqa: F811
    gest = gestionnaire_client(app, structure)
    page = page_of(gest.get("/demandes-caisse"))
    assert "<h1>Demandes à la caisse</h1>" in page and "Demander l'habilitation d'un gestionnaire" in page
    bad = gest.post("/demandes-caisse/habilitation", data={
        **person("nom@gmail.com", last_name=""), "wanted_date": "", "csrf_token": csrf_from(page)})
    page = page_of(bad)
    assert bad.status_code == 400
    assert "professionnelle" in field_error(page, "h-email") and "obligatoire" in field_error(page, "h-last_name")
    assert "JJ/MM/AAAA" in field_error(page, "h-wanted_date")
    email = unique("nouvelle")
    wanted = (date.today() + timedelta(days=8)).strftime("%d/%m/%Y")
    filed = gest.post("/demandes-caisse/habilitation", data={
        **person(email, first_name="Nora", last_name="Relève"), "wanted_date": wanted, "csrf_token": csrf_from(page)})
    assert filed.status_code == 303
    detail_url = filed.headers["Location"]
    request_id = int(detail_url.rsplit("/", 1)[1])
    page = page_of(gest.get(detail_url))
    assert "Votre demande d'habilitation est transmise" in page and "En attente de la caisse" in page
    assert f"souhaitée pour le {wanted}" in page

    agent = app.test_client()
    assert login(agent, "agent_caisse").status_code == 303
    counts = page_of(agent.get("/fragments/demandes-des-partenaires", headers={"HX-Request": "true"}))
    assert re.search(r'<span class="stat-number">\d+</span> <span class="stat-label">à traiter</span>', counts)
    queue = page_of(agent.get("/caisse/demandes-partenaires"))
    assert f"Habilitation d'un gestionnaire n° {request_id}" in queue and structure["name"] in queue
    url = f"/caisse/demandes-partenaires/{request_id}"
    page = page_of(agent.get(url))
    refused = agent.post(f"{url}/decision", data={"decision": "refuse", "reason": "", "csrf_token": csrf_from(page)})
    assert refused.status_code == 400 and "motif" in field_error(page_of(refused), "d-reason")
    approved = agent.post(f"{url}/decision", data={"decision": "approve", "csrf_token": csrf_from(page)})
    assert approved.status_code == 303
    page = page_of(agent.get(url))
    assert "La demande est acceptée." in page and "Habilitation acceptée" in page
    invitation = mailbox.wait_for(email, containing="votre habilitation")
    assert link_in(invitation, "/activation/")
    assert "Acceptée" in page_of(gest.get(detail_url))
    mailbox.wait_for(structure["email"], containing="acceptée")       # the partner side is told too

    # Tenants: another structure's gestionnaire, another caisse's agent.
    other = app.test_client()
    assert login(other, "gestionnaire_b").status_code == 303
    assert other.get(detail_url).status_code == 404
    assert f"n° {request_id}<" not in page_of(other.get("/demandes-caisse"))
    agent_y = app.test_client()
    assert login(agent_y, "agent_autre_caisse").status_code == 303
    assert agent_y.get(url).status_code == 404
    assert f"n° {request_id}<" not in page_of(agent_y.get("/caisse/demandes-partenaires"))


def test_departure_notice_and_a_report_first_in_the_queue(app, mailbox, structure):  # noqa: F811
    gest = gestionnaire_client(app, structure)
    page = page_of(gest.get("/demandes-caisse"))
    own = re.search(r'<option value="(\d+)">Gaëlle Gestion</option>', page)[1]
    early = (date.today() + timedelta(days=10)).strftime("%d/%m/%Y")
    response = gest.post("/demandes-caisse/depart", data={"account_id": own, "date": early,
                                                          "csrf_token": csrf_from(page)})
    assert response.status_code == 400
    assert "15 jours" in field_error(page_of(response), "d-date")

    # A technicien of the structure, then its credentials lost: reported, cut off at once.
    email = unique("technicien")
    assert post_form(gest, "/habilitations", person(email)).status_code == 303
    client = app.test_client()
    path = link_in(mailbox.wait_for(email), "/activation/")
    assert post_form(client, path, {"password": PASSWORD, "confirm": PASSWORD}).status_code == 303
    assert login_with(client, email, PASSWORD).status_code == 303
    page = page_of(gest.get("/demandes-caisse"))
    technicien = re.search(r'<option value="(\d+)">Alice Essai \(technicien\)</option>', page)[1]
    reported = gest.post("/demandes-caisse/signalement", data={"account_id": technicien, "cause": "perte_vol",
                                                               "description": "Téléphone perdu",
                                                               "csrf_token": csrf_from(page)})
    assert reported.status_code == 303
    request_id = int(reported.headers["Location"].rsplit("/", 1)[1])
    assert client.get("/").headers.get("Location", "").startswith("/connexion")     # its session is over
    assert login_with(app.test_client(), email, PASSWORD).status_code != 303
    table = page_of(gest.get("/habilitations"))            # no way back from the habilitation table
    assert "Signalement en attente de la décision de la caisse" in table
    agent = app.test_client()
    assert login(agent, "agent_caisse").status_code == 303
    queue = page_of(agent.get("/caisse/demandes-partenaires"))
    first = re.search(r"<tbody>\s*<tr>\s*<td><a [^>]+>([^<]+)</a>", queue)[1]
    assert first.startswith("Signalement de fraude, perte ou vol")
    assert f"n° {request_id}" in queue
    page = page_of(agent.get(f"/caisse/demandes-partenaires/{request_id}"))
    assert "Perte ou vol des identifiants" in page and "Téléphone perdu" in page
    answer = agent.post(f"/caisse/demandes-partenaires/{request_id}/decision",
                        data={"decision": "inactivate", "csrf_token": csrf_from(page)})
    assert answer.status_code == 303
    assert "Compte inactivé" in page_of(gest.get(f"/demandes-caisse/{request_id}"))


def test_a_technicien_reports_its_own_stolen_credentials_and_is_signed_out(app, mailbox, client):
    email = new_technicien(app, mailbox, client, PASSWORD)
    assert login_with(client, email, PASSWORD).status_code == 303
    assert post_form(client, "/cgu", {"accept": "y"}).status_code == 303
    page = page_of(client.get("/demandes-caisse"))
    assert "Compte concerné : le vôtre (Zoé Nouvelle)" in page and "Demander l'habilitation" not in page
    assert client.post("/demandes-caisse/habilitation", data={"csrf_token": csrf_from(page)}).status_code == 400
    missing = client.post("/demandes-caisse/signalement", data={"csrf_token": csrf_from(page)})
    assert missing.status_code == 400 and "Choisissez" in field_error(page_of(missing), "s-cause")
    reported = client.post("/demandes-caisse/signalement", data={"cause": "fraude", "csrf_token": csrf_from(page)})
    assert reported.status_code == 303 and reported.headers["Location"] == "/connexion"
    assert "Le signalement est enregistré" in page_of(client.get("/connexion"))
    assert client.get("/demandes-caisse").headers["Location"].startswith("/connexion")
    again = login_with(app.test_client(), email, PASSWORD)
    assert again.status_code != 303                 # cannot sign in until the caisse decides


def test_an_email_correction_wants_a_fresh_proof_of_the_agent_then_is_applied(app, structure):  # noqa: F811
    """Last of the module: the structure's gestionnaire gets a new address."""
    gest = gestionnaire_client(app, structure)
    page = page_of(gest.get("/demandes-caisse"))
    own = re.search(r'<option value="(\d+)">Gaëlle Gestion</option>', page)[1]
    new_email = unique("gaelle")
    filed = gest.post("/demandes-caisse/modification", data={"account_id": own, "email": new_email,
                                                             "function": "Directrice générale",
                                                             "csrf_token": csrf_from(page)})
    assert filed.status_code == 303
    request_id = int(filed.headers["Location"].rsplit("/", 1)[1])
    agent = app.test_client()
    assert login(agent, "agent_caisse").status_code == 303
    agent_email, _ = LOGINS["agent_caisse"]
    accounts_db("UPDATE sessions SET reauthenticated_at = :old WHERE ended_at IS NULL AND account_id = "
                "(SELECT id FROM account WHERE email = :email AND profile = 'agent_caisse')",
                old="2000-01-01 00:00:00", email=agent_email)
    url = f"/caisse/demandes-partenaires/{request_id}"
    page = page_of(agent.get(url))
    assert f"Adresse électronique : {new_email}" in page and "Fonction : Directrice générale" in page
    asked = agent.post(f"{url}/decision", data={"decision": "approve", "csrf_token": csrf_from(page)})
    assert "Confirmez votre identité" in page_of(asked)
    assert "En attente de la caisse" in page_of(agent.get(url))                          # nothing applied yet
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', asked.get_data(as_text=True)))
    done = agent.post(f"{url}/decision", data={**carried, "reauth_proof": second_factor_code("agent_caisse",
                                                                                             agent_email)})
    assert done.status_code == 303
    assert "Correction appliquée" in page_of(agent.get(url))
    row = next(r for r in rpc_as(app, "agent_caisse")("habilitation_table", structure["partner"])["rows"]
               if r["id"] == int(own))
    assert (row["email"], row["function"]) == (new_email, "Directrice générale")
