"""The gestionnaire's habilitation screen, through the web against the real
services: creating, inactivating and reactivating techniciens (plain posts and
HTMX), field errors, the CSV export, the review the caisse asks for, and the
profiles that may not come here.

The gestionnaire is a fresh one: a caisse agent registers a partner for this
module and habilitates it, and it activates its account through the emailed
link (the demo gestionnaires' passwords are other tests' business). Every
technicien created ends inactive, so the partner's caps stay free."""
import json
import re
import time
import urllib.request
import uuid

import pytest

from tests.helpers import csrf_from, link_in, login, post_form
from tests.test_web_partners import account_id, page_of, register_partner, row_of

pytestmark = [pytest.mark.integration, pytest.mark.db]

HX = {"HX-Request": "true"}
CSV_HEADER = "Nom;Prénom;Adresse électronique;Fonction;Profil;Statut;Créé par;Créé le;Dernière connexion"
PASSWORD = "Tableau-Des-Droits-Sur-2026!"


def unique_email(prefix="technicien"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@structure-essai.test"


def person(email, **changes):
    return {"civility": "Mme", "last_name": "Essai", "first_name": "Alice", "function": "Travailleuse sociale",
            "phone": "01 23 45 67 89", "email": email, **changes}


def wait_for_mail(stack, recipient, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{stack.env['EP_MAILCATCHER_URL']}/api/messages", timeout=5) as answer:
            found = [m for m in json.load(answer) if recipient in m["to"]]
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"no email to {recipient} within {timeout}s")


@pytest.fixture(scope="module")
def structure(app, stack):
    """A partner with one active gestionnaire, Gaëlle Gestion, activated and past the CGU."""
    agent = app.test_client()
    login(agent, "agent_caisse")
    partner, name = register_partner(agent)
    email = unique_email("gestionnaire")
    page = page_of(agent.get(f"/partenaires/{partner}"))
    gestionnaire = person(email, last_name="Gestion", first_name="Gaëlle", function="Directrice")
    created = agent.post(f"/partenaires/{partner}/gestionnaires", data={"csrf_token": csrf_from(page), **gestionnaire})
    assert created.status_code == 303
    client = app.test_client()
    path = link_in(wait_for_mail(stack, email), "/activation/")
    assert post_form(client, path, {"password": PASSWORD, "confirm": PASSWORD}).status_code == 303
    assert post_form(client, "/connexion", {"email": email, "password": PASSWORD}).status_code == 303
    assert post_form(client, "/cgu", {"accept": "y"}).status_code == 303
    return {"partner": partner, "name": name, "email": email}


def login_gestionnaire(client, structure):
    response = post_form(client, "/connexion", {"email": structure["email"], "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_gestionnaire_creates_a_technicien_then_inactivates_and_reactivates_it(client, structure):
    login_gestionnaire(client, structure)
    page = page_of(client.get("/habilitations"))
    assert f"<h1>Habilitations de {structure['name']}</h1>" in page
    assert f"<caption>Habilitations de {structure['name']}</caption>" in page
    assert "Gaëlle Gestion" in page and "/ 5</span> techniciens actifs" in page
    assert "Habiliter un gestionnaire" not in page                 # the caisse's form only

    email = unique_email()
    created = post_form(client, "/habilitations", person(email))
    assert created.status_code == 303 and created.headers["Location"] == "/habilitations"
    page = page_of(client.get("/habilitations"))
    assert "Le compte technicien de Alice Essai est créé" in page and email in page
    technicien = account_id(page, email)
    row = row_of(page, technicien)
    assert "Invitation en attente" in row and "jamais" in row and "Actif" in row and "Gaëlle Gestion" in row
    token = csrf_from(page)
    try:
        # The pending invitation, resent from the invitations page with HTMX: only the cell comes back.
        invitations = page_of(client.get("/invitations"))
        assert email in invitations and f'id="invitation-{technicien}-action"' in invitations
        resent = client.post(f"/invitations/{technicien}/renvoyer", data={"csrf_token": token}, headers=HX)
        fragment = page_of(resent)
        assert resent.status_code == 200 and "<html" not in fragment
        assert "Un nouveau lien d'activation vient d'être envoyé" in fragment

        # HTMX inactivation: the table alone comes back, caps and all.
        response = client.post(f"/habilitations/comptes/{technicien}/inactiver",
                               data={"reason": "gestionnaire", "csrf_token": token}, headers=HX)
        fragment = page_of(response)
        assert response.status_code == 200 and "<html" not in fragment
        assert 'id="habilitations"' in fragment
        assert "Le compte de Alice Essai est inactivé." in fragment
        row = row_of(fragment, technicien)
        assert "Inactif" in row and "par un gestionnaire de la structure" in row and "Réactiver" in row

        # Plain post (no JavaScript): redirect, then the message on the page.
        response = client.post(f"/habilitations/comptes/{technicien}/reactiver", data={"csrf_token": token})
        assert response.status_code == 303 and response.headers["Location"] == "/habilitations"
        page = page_of(client.get("/habilitations"))
        assert "Le compte de Alice Essai est réactivé." in page
        assert "Actif" in row_of(page, technicien)
    finally:
        client.post(f"/habilitations/comptes/{technicien}/inactiver",
                    data={"reason": "gestionnaire", "csrf_token": token})
    assert "Inactif" in row_of(page_of(client.get("/habilitations/tableau", headers=HX)), technicien)


def test_technicien_form_shows_the_services_messages_next_to_the_fields(client, structure):
    login_gestionnaire(client, structure)
    response = post_form(client, "/habilitations", person("quelquun@gmail.com", last_name="", phone="12"))
    page = page_of(response)
    assert response.status_code == 200
    assert "Nom : ce champ est obligatoire." in page
    assert "Téléphone : 10 chiffres" in page
    assert "Une adresse électronique professionnelle est exigée" in page
    assert re.search(r'<input[^>]*aria-describedby="last_name-error"[^>]*aria-invalid="true"', page)
    assert 'id="last_name-error"' in page and 'id="email-error"' in page


def test_the_service_refuses_what_the_table_does_not_offer(client, structure):
    """A forged post to inactivate a gestionnaire: the accounts service says no, the table says why."""
    login_gestionnaire(client, structure)
    page = page_of(client.get("/habilitations"))
    myself = account_id(page, structure["email"])
    assert "Inactiver" not in row_of(page, myself)
    response = client.post(f"/habilitations/comptes/{myself}/inactiver",
                           data={"reason": "gestionnaire", "csrf_token": csrf_from(page)}, headers=HX)
    fragment = page_of(response)
    assert response.status_code == 200 and 'role="alert"' in fragment
    assert "Vous n'êtes pas autorisé à effectuer cette action." in fragment


def test_gestionnaire_exports_the_table_as_csv(client, structure):
    login_gestionnaire(client, structure)
    response = client.get("/habilitations.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == f'attachment; filename="habilitations-{structure["partner"]}.csv"'
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text[1:].splitlines()
    assert lines[0] == CSV_HEADER
    assert any(line.startswith(f"Gestion;Gaëlle;{structure['email']};Directrice;Gestionnaire;actif;Claire Dumoulin;")
               for line in lines[1:])


def test_caisse_asks_for_a_review_and_the_gestionnaire_confirms_it(client, app, structure):
    agent = app.test_client()
    login(agent, "agent_caisse")
    partner = f"/partenaires/{structure['partner']}"
    detail = page_of(agent.get(partner))
    assert "Demander une revue des habilitations" in detail
    asked = agent.post(f"{partner}/revue", data={"csrf_token": csrf_from(detail)})
    assert asked.status_code == 303
    detail = page_of(agent.get(partner))
    assert "La revue des habilitations est demandée" in detail
    assert re.search(r"Revue des habilitations demandée le \d\d/\d\d/\d{4} par Claire Dumoulin", detail)
    assert "Demander une revue des habilitations" not in detail      # one at a time

    login_gestionnaire(client, structure)
    page = page_of(client.get("/habilitations"))
    try:
        assert re.search(r"La caisse demande une revue de vos habilitations \(demandée le \d\d/\d\d/\d{4}", page)
        again = agent.post(f"{partner}/revue", data={"csrf_token": csrf_from(detail)}, headers=HX)
        assert again.status_code == 200 and again.headers["HX-Redirect"] == partner
        assert "déjà en attente de confirmation" in page_of(agent.get(partner))
    finally:
        confirmed = client.post("/habilitations/revue", data={"csrf_token": csrf_from(page)})
    assert confirmed.status_code == 303
    page = page_of(client.get("/habilitations"))
    assert "la caisse est informée que votre tableau des habilitations est à jour" in page
    assert "La caisse demande une revue" not in page
    detail = page_of(agent.get(partner))
    assert re.search(r"Dernière revue : demandée le \d\d/\d\d/\d{4}, confirmée le \d\d/\d\d/\d{4} par Gaëlle Gestion",
                     detail)


def test_technicien_is_refused(client):
    login(client, "technicien")
    for path in ("/habilitations", "/habilitations.csv", "/partenaires", "/partenaires/1", "/invitations",
                 "/journal", "/admin/caisses"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Accès refusé" in page_of(response)
    token = csrf_from(page_of(client.get("/")))
    assert client.post("/habilitations", data={"csrf_token": token, **person(unique_email())}).status_code == 403


def test_gestionnaire_is_kept_to_its_own_screens(client, structure):
    login_gestionnaire(client, structure)
    own = f"/partenaires/{structure['partner']}"
    for path in ("/partenaires", own, f"{own}/habilitations.csv", "/journal", "/admin/caisses"):
        assert client.get(path).status_code == 403, path
    assert client.get("/invitations").status_code == 200
