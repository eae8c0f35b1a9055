"""The mail path end to end: web -> accounts (event) -> notifier (outbox) ->
SMTP; the link in the captured email sets a new password once."""
import html
import re

import pytest

from tests.helpers import LOGINS, post_form

pytestmark = [pytest.mark.integration, pytest.mark.db]


def test_reset_email_arrives_and_its_link_works_once(client, mailbox, stack):
    email, old_password = LOGINS["gestionnaire"]
    response = post_form(client, "/mot-de-passe/oublie", {"email": email})
    assert response.status_code == 303

    message = mailbox.wait_for(email, containing="réinitialisation")
    assert message["subject"] == "Espace Partenaires : réinitialisation de votre mot de passe"
    link = re.search(r"(http://\S+/mot-de-passe/nouveau/\S+)", message["text"]).group(1)
    assert link.startswith(stack.env["EP_BASE_URL"])
    path = link[len(stack.env["EP_BASE_URL"]):]

    weak = post_form(client, path, {"password": "faible", "confirm": "faible"})
    assert "Il faut au moins 12 caractères." in weak.get_data(as_text=True)

    done = post_form(client, path, {"password": "Gestion-Neuf-2026!", "confirm": "Gestion-Neuf-2026!"})
    assert done.status_code == 303
    again = client.get(path)                                  # single use: no form any more
    assert "Ce lien n'est plus valable" in html.unescape(again.get_data(as_text=True))

    assert post_form(client, "/connexion", {"email": email, "password": old_password}).status_code == 200
    assert post_form(client, "/connexion", {"email": email, "password": "Gestion-Neuf-2026!"}).status_code == 303


def test_unknown_email_gets_the_same_answer_and_no_email(client, mailbox):
    before = len(mailbox.messages())
    response = post_form(client, "/mot-de-passe/oublie", {"email": "personne@inconnu.test"})
    assert response.status_code == 303
    # Only this address counts: an earlier test's email may still be arriving (a full run's shared stack).
    assert not [m for m in mailbox.messages()[before:] if "personne@inconnu.test" in m["to"]]
