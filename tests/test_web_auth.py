"""The login journeys through the web: invitation link, CGU first, profile
choice, throttling, expired password, fraud inactivation ending the session,
and the emails read from the real SMTP server."""
import html
import uuid

import pytest

from tests import helpers
from tests.helpers import csrf_from, link_in, new_technicien, post_form, rpc_as

pytestmark = [pytest.mark.integration, pytest.mark.db]
PASSWORD = "Activation-Solide-2026!"


def text(response):
    return html.unescape(response.get_data(as_text=True))


def accounts_db(stack, statement, **params):
    helpers.accounts_db(statement, **params)


def test_invited_technicien_activates_then_must_accept_the_cgu(app, client, mailbox):
    email = f"t-{uuid.uuid4().hex[:8]}@relais-fictif.test"
    rpc_as(app, "gestionnaire_b")("create_technicien", {
        "civility": "M.", "last_name": "Invité", "first_name": "Léo", "function": "Éducateur",
        "phone": "0123456789", "email": email})
    message = mailbox.wait_for(email)
    assert message["subject"].startswith("Espace Partenaires")
    path = link_in(message, "/activation/")
    page = client.get(path)
    assert "Activer votre compte" in text(page) and "Bienvenue Léo" in text(page)
    weak = post_form(client, path, {"password": "leo-invite", "confirm": "leo-invite"})
    assert "Il faut au moins 12 caractères." in text(weak)
    assert post_form(client, path, {"password": PASSWORD, "confirm": PASSWORD}).status_code == 303
    assert "n'est plus valable" in text(client.get(path))                   # single use

    response = post_form(client, "/connexion", {"email": email, "password": PASSWORD})
    assert response.status_code == 303
    assert client.get("/").headers["Location"] == "/cgu"                     # nothing before the CGU
    assert client.get("/fragments/demandes-recentes").headers["Location"] == "/cgu"
    refused = post_form(client, "/cgu", {})
    assert "Cochez la case" in text(refused)
    assert post_form(client, "/cgu", {"accept": "y"}).status_code == 303
    assert "Bonjour Léo" in text(client.get("/"))


def test_expired_invitation_page_sends_a_fresh_link(app, client, mailbox, stack):
    email = f"t-{uuid.uuid4().hex[:8]}@relais-fictif.test"
    rpc_as(app, "gestionnaire_b")("create_technicien", {
        "civility": "Mme", "last_name": "Tardive", "first_name": "Emma", "function": "Conseillère",
        "phone": "0123456789", "email": email})
    path = link_in(mailbox.wait_for(email), "/activation/")
    accounts_db(stack, "UPDATE password_token SET expires_at = :past WHERE used_at IS NULL AND account_id = "
                       "(SELECT id FROM account WHERE email = :email)", past="2000-01-01 00:00:00", email=email)
    page = client.get(path)
    assert "Ce lien d'activation a expiré." in text(page)
    before = len(mailbox.messages())
    response = client.post(f"{path}/nouveau-lien", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303
    fresh = mailbox.wait_for(email, after=before)
    assert link_in(fresh, "/activation/") != path


def test_one_email_two_accounts_asks_which_profile(app, client, mailbox):
    email = "double@relais-fictif.test"
    before = len(mailbox.messages())
    post_form(client, "/mot-de-passe/oublie", {"email": email})              # one link per account
    links = set()
    while len(links) < 2:
        links |= {link_in(m, "/mot-de-passe/nouveau/") for m in mailbox.messages()[before:] if email in m["to"]}
    for path in links:
        assert post_form(client, path, {"password": "Commun-Aux-Deux-2026!", "confirm": "Commun-Aux-Deux-2026!"}
                         ).status_code == 303
    page = post_form(client, "/connexion", {"email": email, "password": "Commun-Aux-Deux-2026!"})
    assert "choisissez le profil" in text(page)
    assert 'value="gestionnaire"' in text(page) and 'value="technicien"' in text(page)
    ticket = text(page).split('name="ticket" type="hidden" value="')[1].split('"')[0]
    chosen = client.post("/connexion/profil", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                    "ticket": ticket, "profile": "gestionnaire"})
    assert chosen.status_code == 303
    assert "Gestionnaire" in text(client.get("/"))


def test_failures_slow_down_then_lock_with_the_end_shown(app, client, mailbox):
    email = new_technicien(app, mailbox, client)
    for _ in range(3):                                                        # the free attempts
        assert "incorrect" in text(post_form(client, "/connexion", {"email": email, "password": "mauvais"}))
    slowed = post_form(client, "/connexion", {"email": email, "password": PASSWORD})
    assert "patientez jusqu'à" in text(slowed)
    assert client.get("/").status_code == 302                                 # not logged in


def test_expired_password_forces_a_change_and_the_change_is_emailed(app, client, mailbox, stack):
    email = new_technicien(app, mailbox, client)
    accounts_db(stack, "UPDATE account SET password_changed_at = :old, cgu_version = :cgu WHERE email = :email",
                old="2000-01-01 00:00:00", cgu="2026-01", email=email)
    post_form(client, "/connexion", {"email": email, "password": PASSWORD})
    assert client.get("/").headers["Location"] == "/mon-compte/mot-de-passe"
    page = client.get("/mon-compte/mot-de-passe")
    assert "Votre mot de passe a expiré" in text(page)
    same = post_form(client, "/mon-compte/mot-de-passe", {"current_password": PASSWORD, "password": PASSWORD,
                                                          "confirm": PASSWORD})
    assert "déjà été utilisé" in text(same)
    before = len(mailbox.messages())
    done = post_form(client, "/mon-compte/mot-de-passe", {"current_password": PASSWORD,
                                                          "password": "Renouvele-Solide-2026!",
                                                          "confirm": "Renouvele-Solide-2026!"})
    assert done.status_code == 303 and client.get("/").status_code == 200
    confirmation = mailbox.wait_for(email, after=before)
    assert "mot de passe" in confirmation["subject"].lower()


def test_fraud_inactivation_ends_the_open_session_at_the_next_request(app, client, mailbox):
    email = new_technicien(app, mailbox, client)
    accounts = rpc_as(app, "agent_caisse")
    post_form(client, "/connexion", {"email": email, "password": PASSWORD})
    post_form(client, "/cgu", {"accept": "y"})
    assert client.get("/").status_code == 200
    partner_id = next(p["id"] for p in accounts("list_partners") if p["name"] == "Association Le Relais Fictif")
    target = next(r for r in accounts("habilitation_table", partner_id)["rows"] if r["email"] == email)
    before = len(mailbox.messages())
    accounts("inactivate_account", target["id"], "fraude")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    assert "Ce compte est inactif" in text(client.get("/connexion"))
    notice = mailbox.wait_for("gestionnaire@relais-fictif.test", after=before)
    assert "Zoé Nouvelle" in notice["text"]


def test_live_password_feedback_fragment(client):
    page = client.get("/mot-de-passe/oublie")
    token = csrf_from(page.get_data(as_text=True))
    weak = client.post("/mot-de-passe/verifier", data={"password": "azerty"},
                       headers={"HX-Request": "true", "X-CSRFToken": token})
    assert "au moins 12" in text(weak) and "<html" not in text(weak)
    strong = client.post("/mot-de-passe/verifier", data={"password": "Tres-Solide-Phrase-2026!"},
                         headers={"HX-Request": "true", "X-CSRFToken": token})
    assert "respecte les règles" in text(strong)
