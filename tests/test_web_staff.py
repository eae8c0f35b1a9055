"""The caisse's own staff and settings through the web, against the real services: the
administrateur de caisse invites an agent (who sets a password, then must enrol the second
factor), edits, inactivates (the agent's session ends at once), grants the role; the national
admin creates a new caisse's first agent; « Paramètres de la caisse » with its field errors;
a plain agent reaches none of it."""
import html
import re
import uuid

import pytest

from tests.helpers import LOGINS, accounts_db, csrf_from, link_in, login, post_form, rpc_as

pytestmark = [pytest.mark.integration, pytest.mark.db]
PASSWORD = "Chemin-Serein-Vaste-2026!"


def text(response):
    return html.unescape(response.get_data(as_text=True))


def agent(email, **changes):
    return {"civility": "Mme", "last_name": "Nouvelle", "first_name": "Agathe", "function": "Conseillère",
            "phone": "01 23 45 67 89", "email": email, **changes}


def row_id(page: str, email: str) -> int:
    return int(re.search(r'<tr id="agent-(\d+)">(?:(?!</tr>).)*' + re.escape(email), page, re.S)[1])


def action(client, account_id, what, **data):
    token = csrf_from(client.get("/caisse/agents").get_data(as_text=True))
    return client.post(f"/caisse/agents/{account_id}/{what}", data={"csrf_token": token, **data})


def test_the_administrateur_invites_an_agent_who_enrols_then_is_inactivated_at_once(app, client, mailbox):
    boss = app.test_client()
    login(boss, "agent_caisse")
    page = text(boss.get("/caisse/agents"))
    assert "Agents de la caisse" in page and "Lucas Perrin" in page and "Administrateur de caisse" in page
    refused = post_form(boss, "/caisse/agents", agent("perso@gmail.com"))
    assert refused.status_code == 200 and "professionnelle" in text(refused)
    email = f"agent-{uuid.uuid4().hex[:8]}@cpam-valfleuri.test"
    assert post_form(boss, "/caisse/agents", agent(email)).status_code == 303
    message = mailbox.wait_for(email)
    assert "Agent de caisse" in message["text"] and "CPAM de Valfleuri" in message["text"]
    path = link_in(message, "/activation/")
    assert post_form(client, path, {"password": PASSWORD, "confirm": PASSWORD}).status_code in (302, 303)
    logged = post_form(client, "/connexion", {"email": email, "password": PASSWORD})
    assert logged.status_code == 303
    # First login: the CGU, then the second factor, before anything else.
    steps = {client.get("/").headers["Location"]}
    post_form(client, "/cgu", {"accept": "y"})
    steps.add(client.get("/").headers["Location"])
    assert "/mon-compte/double-authentification" in steps
    target = row_id(boss.get("/caisse/agents").get_data(as_text=True), email)
    edited = post_form(boss, f"/caisse/agents/{target}", agent(email, function="Responsable du pôle"))
    assert edited.status_code == 303 and "Responsable du pôle" in text(boss.get("/caisse/agents"))
    assert action(boss, target, "donner-role").status_code == 303
    assert action(boss, target, "retirer-role").status_code == 303
    assert action(boss, target, "inactiver", reason="depart").status_code == 303
    assert "est inactivé" in text(boss.get("/caisse/agents"))
    assert client.get("/mon-compte/double-authentification").headers["Location"].startswith("/connexion")


def test_staff_actions_ask_to_confirm_ones_identity_then_replay(app, client):
    login(client, "agent_caisse")
    email, password = LOGINS["agent_caisse"]
    accounts_db("UPDATE sessions SET reauthenticated_at = :old WHERE ended_at IS NULL AND account_id = "
                "(SELECT id FROM account WHERE email = :email AND profile = 'agent_caisse')",
                old="2000-01-01 00:00:00", email=email)
    new = f"rejoue-{uuid.uuid4().hex[:8]}@cpam-valfleuri.test"
    asked = post_form(client, "/caisse/agents", agent(new))
    assert "Confirmez votre identité" in text(asked) and new not in text(client.get("/caisse/agents"))
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', asked.get_data(as_text=True)))
    assert client.post("/caisse/agents", data={**carried, "reauth_proof": password}).status_code == 303
    assert new in text(client.get("/caisse/agents"))


def test_the_last_administrateur_keeps_the_role(app, client):
    login(client, "agent_caisse")
    me = row_id(client.get("/caisse/agents").get_data(as_text=True), LOGINS["agent_caisse"][0])
    refused = action(client, me, "retirer-role")
    assert refused.status_code == 303
    assert "dernier administrateur de caisse" in text(client.get(refused.headers["Location"]))


def test_the_national_admin_creates_a_new_caisses_first_agent(app, client):
    code = str(700 + uuid.uuid4().int % 299)
    rpc_as(app, "admin_national")("save_caisse", {"code": code, "name": f"CPAM d'Essai {code}"})
    login(client, "admin_national")
    assert f"CPAM d'Essai {code}" in text(client.get("/caisse/agents"))            # the caisse to choose
    assert f"/caisse/agents?caisse={code}" in text(client.get("/admin/caisses"))
    url = f"/caisse/agents?caisse={code}"
    assert "invitez le premier" in text(client.get(url))
    created = post_form(client, url, agent(f"premier-{code}@cpam-essai.test"))
    assert created.status_code == 303 and created.headers["Location"] == url
    assert "Administrateur de caisse" in text(client.get(url))


def test_a_plain_agent_reaches_neither_the_staff_nor_the_settings(app, client):
    login(client, "agent_simple")
    home = text(client.get("/"))
    assert "Agents de la caisse" not in home and "Paramètres de la caisse" not in home
    for url in ("/caisse/agents", "/caisse/parametres"):
        assert client.get(url).status_code == 403


def test_the_settings_screen(app, client):
    login(client, "agent_caisse")
    page = text(client.get("/caisse/parametres"))
    assert 'hx-get="/caisse/parametres/demandes"' in page and "Référents locaux" in page
    assert "Nadia Roussel" in page and "01 99 00 00 01, 06 99 00 00 01" in page
    token = csrf_from(client.get("/caisse/parametres").get_data(as_text=True))
    bad = client.post("/caisse/parametres/regles", data={"csrf_token": token, "technicien_inactivity": "y",
                                                         "technicien_inactivity_days": "trois",
                                                         "technicien_caps": "y"})
    assert bad.status_code == 200 and "Délai d'inactivité : un nombre entier de 30 à 730." in text(bad)
    original = rpc_as(app, "agent_caisse")("caisse_settings")["referents"]
    try:
        refused = client.post("/caisse/parametres/referents", data={
            "csrf_token": token, "referents-0-kind": "person", "referents-0-name": "Sans Téléphone",
            "referents-0-function": "Référent", "referents-0-email": "st@cpam-valfleuri.test"})
        assert refused.status_code == 200 and "au moins un téléphone" in text(refused)
        saved = client.post("/caisse/parametres/referents", data={
            "csrf_token": token, "referents-0-kind": "mailbox", "referents-0-name": "Boîte Essai Web",
            "referents-0-email": "essai-web@cpam-valfleuri.test", "referents-1-kind": "person"})
        assert saved.status_code == 303
        shown = rpc_as(app, "agent_caisse")("caisse_contacts", "999")["referents"]    # footer, maintenance page
        assert [(r["kind"], r["name"]) for r in shown] == [("mailbox", "Boîte Essai Web")]
    finally:
        rpc_as(app, "agent_caisse")("save_caisse_referents", original)


def test_the_cgu_state_the_inactivity_rule_only_where_a_caisse_applies_it(app):
    """Le Relais Fictif works with the CPAM des Hauts-Fictifs, which has the rule (demo data); the CCAS does not."""
    relais, ccas = app.test_client(), app.test_client()
    login(relais, "technicien_b")
    login(ccas, "technicien")
    rule = "un compte de technicien sans connexion pendant 90 jours est inactivé"
    assert "Selon la convention de votre structure avec la CPAM des Hauts-Fictifs, " + rule in text(relais.get("/cgu"))
    assert "sans connexion pendant" not in text(ccas.get("/cgu"))
