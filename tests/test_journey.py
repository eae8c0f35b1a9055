"""A seeded caisse agent and a seeded technicien log in, see their home page
and log out; authentication is decided by the accounts service."""
import pytest

from tests.helpers import LOGINS, csrf_from, login, post_form

pytestmark = [pytest.mark.integration, pytest.mark.db]


def test_technicien_logs_in_sees_partner_home_and_logs_out(client):
    response = login(client, "technicien")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Bonjour Hugo" in home
    assert "CCAS de Saint-Exemple" in home
    assert 'hx-get="/fragments/demandes-recentes"' in home

    fragment = client.get("/fragments/demandes-recentes", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment                        # HTMX gets the fragment alone
    assert "DEMO-000001" in fragment and "Demander un document" in fragment
    full = client.get("/fragments/demandes-recentes").get_data(as_text=True)
    assert "<html" in full and "DEMO-000001" in full      # without HTMX, a whole page

    out = client.post("/deconnexion", data={"csrf_token": csrf_from(home)})
    assert out.status_code == 303 and out.headers["Location"] == "/connexion"
    assert client.get("/").status_code == 302             # session is gone


def test_agent_sees_the_caisse_queue(client):
    login(client, "agent_caisse")
    home = client.get("/").get_data(as_text=True)
    assert "CPAM de Valfleuri" in home and "Bonjour Claire" in home
    queue = client.get("/fragments/file-attente", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Déposée" in queue and "Prise en charge" in queue


def test_wrong_password_gets_a_french_message_and_no_session(client):
    email, _ = LOGINS["technicien"]
    response = post_form(client, "/connexion", {"email": email, "password": "mauvais-mot-de-passe"})
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_empty_form_gets_field_errors(client):
    response = post_form(client, "/connexion", {"email": "", "password": ""})
    page = response.get_data(as_text=True)
    assert page.count("Ce champ est obligatoire.") == 2
    assert 'aria-invalid="true"' in page


def test_posts_without_csrf_token_are_refused(client):
    email, password = LOGINS["technicien"]
    response = client.post("/connexion", data={"email": email, "password": password})
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_htmx_posts_carry_the_token_in_a_header(client):
    login(client, "technicien")
    home = client.get("/").get_data(as_text=True)
    token = csrf_from(home)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in home
    assert client.post("/deconnexion", headers={"HX-Request": "true"}).status_code == 400
    assert client.post("/deconnexion", headers={"HX-Request": "true", "X-CSRFToken": token}).status_code == 303


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
