"""A service that does not answer degrades its own region only."""
import pytest

from contracts.errors import ServiceUnavailable
from tests.helpers import login

pytestmark = [pytest.mark.integration]


def test_requests_service_down_shows_partial_while_the_rest_works(stack, client, app):
    login(client, "technicien")
    admin = app.test_client()
    login(admin, "admin_national")
    stack.stop_process("requests")
    try:
        home = client.get("/")
        assert home.status_code == 200 and "Bonjour Hugo" in home.get_data(as_text=True)
        fragment = client.get("/fragments/demandes-recentes", headers={"HX-Request": "true"})
        text = fragment.get_data(as_text=True)
        assert fragment.status_code == 200
        assert "Service momentanément indisponible" in text and 'data-degraded="requests"' in text
        assert _reference(fragment) in text                 # « Référence de l'incident » (contracts/logs.py)
        full = client.get("/fragments/demandes-recentes")
        assert full.status_code == 503 and "Service momentanément indisponible" in full.get_data(as_text=True)
        assert _reference(full) in full.get_data(as_text=True)
        # The history's rows are read while its page renders (services.web.rpc.Later): the whole page says so.
        listed = client.get("/demandes")
        assert listed.status_code == 503 and "Service momentanément indisponible" in listed.get_data(as_text=True)
        health = client.get("/sante").get_json()
        assert health["services"] == {"accounts": "ok", "requests": "indisponible", "notifier": "ok"}
        # The supervision screen says so in the service's own section, and the rest of it works.
        assert admin.get("/supervision").status_code == 200
        for htmx in ({"HX-Request": "true"}, {}):
            down = admin.get("/supervision/services/requests", headers=htmx)
            assert down.status_code == 200 and 'data-service-state="indisponible"' in down.get_data(as_text=True)
        up = admin.get("/supervision/services/notifier", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert 'data-service-state="ok"' in up
    finally:
        stack.start_process("requests")
        stack.wait_healthy(["requests"])
    fragment = client.get("/fragments/demandes-recentes", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "DEMO-000001" in fragment


def test_login_says_so_when_accounts_is_down(stack, client):
    stack.stop_process("accounts")
    try:
        page = client.get("/connexion")
        assert page.status_code == 200
        from tests.helpers import csrf_from

        response = client.post("/connexion", data={"email": "x@y.test", "password": "z",
                                                   "csrf_token": csrf_from(page.get_data(as_text=True))})
        assert response.status_code == 200
        assert "Service momentanément indisponible" in response.get_data(as_text=True)
    finally:
        stack.start_process("accounts")
        stack.wait_healthy(["accounts"])


def test_a_logged_in_person_is_asked_to_retry_not_logged_out_when_accounts_is_down(stack, client):
    login(client, "technicien")
    stack.stop_process("accounts")
    try:
        page = client.get("/demandes")
        assert page.status_code == 503
        assert "Réessayez dans quelques instants" in page.get_data(as_text=True)
        assert _reference(page) in page.get_data(as_text=True)
    finally:
        stack.start_process("accounts")
        stack.wait_healthy(["accounts"])
    back = client.get("/demandes")                          # the same session carries on
    assert back.status_code == 200 and "Bonjour" not in back.get_data(as_text=True)
    assert "Hugo Lambertin" in back.get_data(as_text=True)


def test_logout_says_so_when_the_server_session_could_not_be_ended(stack, app, monkeypatch):
    """The session check answered but ending the session did not (accounts gone in between):
    the person is not told « Vous êtes déconnecté » as if a copy of the cookie opened nothing."""
    from services.web import rpc
    from tests.helpers import csrf_from

    client = app.test_client()
    login(client, "technicien")
    home = client.get("/").get_data(as_text=True)
    real_call = rpc.call

    def end_session_lost(service, method, *args, **kwargs):
        if method == "end_session":
            raise ServiceUnavailable("accounts")
        return real_call(service, method, *args, **kwargs)

    monkeypatch.setattr(rpc, "call", end_session_lost)
    out = client.post("/deconnexion", data={"csrf_token": csrf_from(home)}, follow_redirects=True)
    text = out.get_data(as_text=True)
    assert "n&#39;a pas pu être fermée sur le serveur" in text or "n'a pas pu être fermée sur le serveur" in text
    assert "Vous êtes déconnecté." not in text
    assert client.get("/demandes").status_code in (302, 303)               # this browser is signed out all the same


def _reference(response) -> str:
    """What the page must show: the request's correlation id, the one support finds in the logs."""
    return f"Référence de l'incident : <code>{response.headers['X-Request-ID']}</code>"
