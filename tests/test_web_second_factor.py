"""The second factor through the web: the login's code step, enrolment from « Mon compte »
(QR code, key, recovery codes shown once), login with a recovery code, disabling, the
caisse's requirement for its partners' gestionnaires, and « Confirmez votre identité »
before creating or inactivating an account (the refused action replayed)."""
import html
import re
import time

import pyotp
import pytest

from tests.helpers import (LOGINS, accounts_db, code_step, csrf_from, login, new_technicien, post_form, rpc_as,
                           second_factor_code)

pytestmark = [pytest.mark.integration, pytest.mark.db]
PASSWORD = "Activation-Solide-2026!"


def text(response):
    return html.unescape(response.get_data(as_text=True))


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def password_step(client, email, password, check=None):
    """The password, then the code page: -> the fields to post the code with."""
    body = post_form(client, "/connexion", {"email": email, "password": password}).get_data(as_text=True)
    step = code_step(body)
    assert step, body
    if check:
        check(body)
    return step


def _accessible_code_field(body):
    field = re.search(r'<input[^>]*name="code"[^>]*>', body)[0]
    assert 'autocomplete="one-time-code"' in field and 'inputmode="numeric"' in field
    assert '<label for="code">Code à 6 chiffres de votre application</label>' in body


def test_an_agent_is_logged_in_only_after_the_code(client):
    email, password = LOGINS["agent_caisse"]
    step = password_step(client, email, password, check=_accessible_code_field)
    assert client.get("/").status_code == 302                             # the password alone opens nothing
    code = second_factor_code("agent_caisse", email)
    refused = client.post("/connexion/code", data={**step, "code": wrong(code)})
    assert "Code incorrect ou déjà utilisé." in text(refused) and client.get("/").status_code == 302
    assert client.post("/connexion/code", data={**step, "code": code}).status_code == 303
    assert "Claire" in text(client.get("/"))


def new_technicien_logged_in(app, mailbox, client) -> str:
    email = new_technicien(app, mailbox, client)
    post_form(client, "/connexion", {"email": email, "password": PASSWORD})
    post_form(client, "/cgu", {"accept": "y"})
    return email


def enrol_from_my_account(client):
    """« Mon compte » → « Double authentification » → QR code, a wrong then the right code:
    -> (secret, the code spent, the recovery codes page)."""
    assert "(non activée)" in text(client.get("/mon-compte"))
    page = client.get("/mon-compte/double-authentification")
    assert "Non activée" in text(page)
    started = client.post("/mon-compte/double-authentification/activer",
                          data={"csrf_token": csrf_from(page.get_data(as_text=True))}, follow_redirects=True)
    body = text(started)
    svg = re.search(r"<svg[^>]*>.*?</svg>", body, re.S)[0]
    assert 'class="qr"' in svg and "style" not in svg and "<script" not in svg       # CSP: drawing only
    secret = re.search(r'id="totp-key">([A-Z2-7 ]+)<', body)[1].replace(" ", "")
    assert len(secret) == 32
    confirm = "/mon-compte/double-authentification/confirmer"
    bad = post_form(client, confirm, {"confirm-code": wrong(pyotp.TOTP(secret).now())})
    assert 'aria-invalid="true"' in text(bad) and "confirm-code-error" in text(bad)
    first_code = pyotp.TOTP(secret).now()
    return secret, first_code, post_form(client, confirm, {"confirm-code": first_code})


def test_technicien_enrols_from_my_account_then_logs_in_with_codes(app, client, mailbox):
    email = new_technicien_logged_in(app, mailbox, client)
    secret, first_code, done = enrol_from_my_account(client)
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", text(done))
    assert len(codes) == 10 and "ils ne seront plus" in text(done)
    again = text(client.get("/mon-compte/double-authentification"))
    assert "Activée" in again and codes[0] not in again and secret not in again          # shown once

    post_form(client, "/deconnexion", {})
    step = password_step(client, email, PASSWORD)
    assert client.post("/connexion/code", data={**step, "recovery_code": codes[0]}).status_code == 303
    assert "9</strong> sur 10" in text(client.get("/mon-compte/double-authentification"))
    post_form(client, "/deconnexion", {})
    step = password_step(client, email, PASSWORD)
    assert "Code incorrect" in text(client.post("/connexion/code", data={**step, "recovery_code": codes[0]}))

    assert client.post("/connexion/code", data={**step, "recovery_code": codes[1]}).status_code == 303
    disable = "/mon-compte/double-authentification/desactiver"
    replayed = post_form(client, disable, {"disable-code": first_code})          # spent at the enrolment
    assert "Code incorrect ou déjà utilisé." in text(replayed)
    off = post_form(client, disable, {"disable-code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert off.status_code == 303 and "Non activée" in text(client.get("/mon-compte/double-authentification"))


def save_rules(client, data):
    token = csrf_from(client.get("/caisse/parametres").get_data(as_text=True))
    return client.post("/caisse/parametres/regles", data={**data, "csrf_token": token})


def test_a_caisse_requires_its_partners_gestionnaires_to_enrol_first(app, client):
    agent = app.test_client()
    login(agent, "agent_caisse")
    page = agent.get("/mon-compte/double-authentification")
    assert "Gestionnaires des partenaires de la caisse" in text(page) and "/caisse/parametres" in text(page)
    try:        # « Paramètres de la caisse » (the agent is its caisse's administrateur)
        saved = save_rules(agent, {"partners_second_factor": "y", "technicien_caps": "y"})
        assert saved.status_code == 303, text(saved)
        # Le Relais Fictif is under convention with the agent's caisse (the CCAS gestionnaire's password
        # is changed by tests/test_password_reset.py).
        assert login(client, "gestionnaire_b").status_code == 303
        assert client.get("/").headers["Location"] == "/mon-compte/double-authentification"
        assert client.get("/habilitations").headers["Location"] == "/mon-compte/double-authentification"
        assert "obligatoire pour votre compte" in text(client.get("/mon-compte/double-authentification"))
    finally:
        save_rules(agent, {"technicien_caps": "y"})
    assert client.get("/").status_code == 200                             # optional again


def _age_proof(email, profile):
    accounts_db("UPDATE sessions SET reauthenticated_at = :old WHERE ended_at IS NULL AND account_id = "
                "(SELECT id FROM account WHERE email = :email AND profile = :profile)",
                old="2000-01-01 00:00:00", email=email, profile=profile)


def test_creating_an_account_asks_to_confirm_ones_identity_then_replays_it(app, client):
    # Earlier modules' probes (the web access matrix posts wrong proofs as every profile) count on the
    # signed-in guesses' counters: this test starts from none, its one wrong proof is then a free failure.
    accounts_db("DELETE FROM sign_in_counter")
    login(client, "gestionnaire_b")
    email, password = LOGINS["gestionnaire_b"]
    _age_proof(email, "gestionnaire")
    new = {"civility": "Mme", "last_name": "Rejouée", "first_name": "Anna", "function": "Conseillère",
           "phone": "0123456789", "email": "rejouee@relais-fictif.test"}
    asked = post_form(client, "/habilitations", new)
    body = text(asked)
    assert "Confirmez votre identité" in body and 'value="rejouee@relais-fictif.test"' in body
    assert "rejouee@relais-fictif.test" not in text(client.get("/habilitations/tableau"))     # not created
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', asked.get_data(as_text=True)))
    refused = client.post("/habilitations", data={**carried, "reauth_proof": "pas-le-bon"})
    assert "Mot de passe ou code incorrect." in text(refused) and 'aria-invalid="true"' in text(refused)
    replayed = client.post("/habilitations", data={**carried, "reauth_proof": password})
    assert replayed.status_code == 303, text(replayed).split("<main")[-1][:1500]
    assert "rejouee@relais-fictif.test" in text(client.get("/habilitations/tableau"))


def test_an_htmx_inactivation_asks_in_place_and_an_agent_confirms_with_a_code(app, client, mailbox):
    email = new_technicien(app, mailbox, client)
    target = next(r for r in rpc_as(app, "gestionnaire_b")("habilitation_table")["rows"] if r["email"] == email)
    login(client, "agent_caisse")
    agent_email, _ = LOGINS["agent_caisse"]
    _age_proof(agent_email, "agent_caisse")
    partner_id = next(p["id"] for p in rpc_as(app, "agent_caisse")("list_partners") if "Relais" in p["name"])
    url = f"/partenaires/{partner_id}/comptes/{target['id']}/inactiver"
    page = client.get(f"/partenaires/{partner_id}")
    token = csrf_from(page.get_data(as_text=True))
    asked = client.post(url, data={"csrf_token": token, "reason": "fraude"},
                        headers={"HX-Request": "true", "HX-Target": "habilitations"})
    assert asked.headers["HX-Retarget"] == "#contenu" and "Confirmez votre identité" in text(asked)
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', asked.get_data(as_text=True)))
    assert carried["reason"] == "fraude"
    done = client.post(url, data={**carried, "reauth_proof": second_factor_code("agent_caisse", agent_email)})
    assert done.status_code == 303
    assert next(r for r in rpc_as(app, "gestionnaire_b")("habilitation_table")["rows"]
                if r["email"] == email)["status"] == "inactive"


def test_the_gestionnaire_resets_the_second_factor_of_a_technicien_who_lost_their_phone(app, client, mailbox):
    email = new_technicien_logged_in(app, mailbox, client)
    enrol_from_my_account(client)
    gestionnaire = app.test_client()
    login(gestionnaire, "gestionnaire_b")
    table = text(gestionnaire.get("/habilitations/tableau"))
    row = next(r for r in rpc_as(app, "gestionnaire_b")("habilitation_table")["rows"] if r["email"] == email)
    action = f"/habilitations/comptes/{row['id']}/reinitialiser-double-authentification"
    assert f'action="{action}"' in table
    before = len(mailbox.messages())
    done = gestionnaire.post(action, data={"csrf_token": csrf_from(table)})
    assert done.status_code == 303
    assert "double authentification" in mailbox.wait_for(email, after=before)["subject"]
    post_form(client, "/deconnexion", {})
    assert post_form(client, "/connexion", {"email": email, "password": PASSWORD}).status_code == 303   # no code now
