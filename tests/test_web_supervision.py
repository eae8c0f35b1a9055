"""« Supervision » (issue 18, point 5): the national admin sees each service as the web does and every
caisse's figures; a caisse agent the same for their caisse only; partner staff are refused (the access
matrices: tests/access_table.py, tests/web_access_table.py). A service down: tests/test_degraded.py."""
import time

import pytest

from tests.helpers import login, login_with, new_technicien, post_form

pytestmark = [pytest.mark.integration]

HTMX = {"HX-Request": "true"}


def fragment(client, name) -> str:
    answer = client.get(f"/supervision/services/{name}", headers=HTMX)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_the_national_admin_sees_every_service_and_every_caisse(stack, client):
    login(client, "admin_national")
    page = client.get("/supervision").get_data(as_text=True)
    assert "<h1>Supervision</h1>" in page and 'href="/supervision"' in page          # in the menu
    for name in ("accounts", "requests", "notifier"):
        assert f'hx-get="/supervision/services/{name}"' in page
    accounts = fragment(client, "accounts")
    assert 'data-service-state="ok"' in accounts and "Événements en attente de publication" in accounts
    assert "Tâches planifiées des comptes" in accounts
    requests = fragment(client, "requests")
    assert "Demandes non traitées au-delà du délai de la caisse" in requests
    assert "CPAM de Valfleuri" in requests                          # a caisse with requests to treat, by name
    # The notifier's sweep runs every 2 s in the tests: its last run is recorded and shown.
    deadline = time.monotonic() + 30
    while "Réussi" not in (notifier := fragment(client, "notifier")):
        assert time.monotonic() < deadline, notifier
        time.sleep(0.5)
    assert "Courriels, toutes caisses et national" in notifier and "Rappels de mot de passe" in notifier
    assert "CPAM des Hauts-Fictifs" in notifier                     # every caisse, at zero when nothing waits


def test_a_caisse_agent_sees_their_caisse_only(stack, client):
    login(client, "agent_caisse")
    assert 'href="/supervision"' in client.get("/").get_data(as_text=True)
    for name in ("requests", "notifier"):
        text = fragment(client, name)
        assert "CPAM de Valfleuri" in text and "Hauts-Fictifs" not in text, name
    assert "toutes caisses et national" not in fragment(client, "notifier")     # the global figure: the admin's
    assert client.get("/supervision/services/inconnu", headers=HTMX).status_code == 404


def test_partner_staff_are_refused(stack, app, client, mailbox):
    # A technicien of its own: the demo partners' accounts are changed by earlier modules of a full run.
    assert login_with(client, new_technicien(app, mailbox, client), "Activation-Solide-2026!").status_code == 303
    assert post_form(client, "/cgu", {"accept": "y"}).status_code == 303
    refused = client.get("/supervision")
    assert refused.status_code == 403, (refused.status_code, refused.headers.get("Location"))
    assert 'href="/supervision"' not in client.get("/").get_data(as_text=True)
