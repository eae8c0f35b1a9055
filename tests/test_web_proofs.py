"""Issue 16 through the web and the real services: an agent changing a gestionnaire's address, and
erasing a person's data, confirm their identity first (password or code) and the action is then
replayed; the old address is told by email and the person's open session ends."""
import re
import uuid

import pytest

from tests.helpers import LOGINS, csrf_from, link_in, login, login_with, post_form, rpc_as
from tests.test_web_partners import fictitious_siret
from tests.test_web_personal_data import person_of_a_new_request
from tests.test_web_requests import text
from tests.test_web_second_factor import _age_proof

pytestmark = pytest.mark.db
PASSWORD = "Activation-Solide-2026!"


def carried(asked) -> dict:
    """The action's own fields, which the « Confirmez votre identité » form carries hidden."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', asked.get_data(as_text=True)))


def activated_gestionnaire(app, mailbox, client) -> tuple[int, int, str]:
    """A new partner of the demo agent's caisse and its gestionnaire, activated and signed in on ``client``:
    (partner id, account id, email)."""
    agent = rpc_as(app, "agent_caisse")
    partner = agent("register_partner", {
        "name": f"Structure courriel {uuid.uuid4().hex[:8]}", "kind": "Association", "siret": fictitious_siret(),
        "address": "5 rue des Essais", "member_count": 5, "start_date": "2026-01-01", "features": ["document"]})
    email = f"g-{uuid.uuid4().hex[:8]}@structure-essai.test"
    created = agent("create_gestionnaire", partner["id"], {
        "civility": "Mme", "last_name": "Courriel", "first_name": "Léa", "function": "Directrice",
        "phone": "0123456789", "email": email})
    response = post_form(client, link_in(mailbox.wait_for(email), "/activation/"),
                         {"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303
    login_with(client, email, PASSWORD)
    return partner["id"], created["id"], email


def test_a_new_gestionnaire_address_asks_to_confirm_then_tells_the_old_one_and_ends_its_session(
        app, client, mailbox):
    gestionnaire = app.test_client()
    partner_id, account_id, old = activated_gestionnaire(app, mailbox, gestionnaire)
    assert "/connexion" not in gestionnaire.get("/").headers.get("Location", "")          # signed in (CGU due)
    login(client, "agent_caisse")
    agent_email, agent_password = LOGINS["agent_caisse"]
    _age_proof(agent_email, "agent_caisse")
    new = f"nouvelle-{uuid.uuid4().hex[:6]}@structure-essai.test"
    url = f"/partenaires/{partner_id}/comptes/{account_id}/modifier"
    page = text(client.get(url))
    fields = dict(re.findall(r'name="(civility|last_name|first_name|function|phone|email)"[^>]*value="([^"]*)"', page))
    fields["civility"] = "Mme"
    before = len(mailbox.messages())

    asked = client.post(url, data={**fields, "email": new, "csrf_token": csrf_from(page)})
    assert "Confirmez votre identité" in text(asked) and carried(asked)["email"] == new
    assert old in text(client.get(f"/partenaires/{partner_id}/habilitations"))           # nothing changed yet
    replayed = client.post(url, data={**carried(asked), "reauth_proof": agent_password})
    assert replayed.status_code == 303, text(replayed)

    told = mailbox.wait_for(old, after=before, containing="adresse de votre compte")
    assert new not in told["text"] and "n…@structure-essai.test" in told["text"]
    assert mailbox.wait_for(new, after=before, containing="votre compte utilise")
    ended = gestionnaire.get("/", follow_redirects=True)
    assert "adresse électronique du compte a été changée" in text(ended) and "/connexion" in ended.request.path
    assert login_with(app.test_client(), new, PASSWORD).status_code == 303               # the new address signs in


def test_erasing_a_persons_data_asks_to_confirm_ones_identity_then_replays_it(app, client):
    person, request_id = person_of_a_new_request(client)
    agent = app.test_client()
    login(agent, "agent_caisse")
    agent_email, agent_password = LOGINS["agent_caisse"]
    _age_proof(agent_email, "agent_caisse")
    page = text(agent.get("/donnees-personnelles"))
    asked = agent.post("/donnees-personnelles", data={**person, "action": "effacer", "confirm": "oui",
                                                      "csrf_token": csrf_from(page)})
    assert "Confirmez votre identité" in text(asked)
    assert carried(asked)["action"] == "effacer" and carried(asked)["last_name"] == person["last_name"]
    assert agent.get(f"/demandes/{request_id}").status_code == 200                       # not erased yet
    wrong = agent.post("/donnees-personnelles", data={**carried(asked), "reauth_proof": "pas-le-bon"})
    assert "Mot de passe ou code incorrect." in text(wrong)
    erased = agent.post("/donnees-personnelles", data={**carried(asked), "reauth_proof": agent_password})
    assert erased.status_code == 303
    assert agent.get(f"/demandes/{request_id}").status_code == 404
