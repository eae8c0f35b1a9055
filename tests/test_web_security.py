"""The web's sessions, cookies, headers, error pages and production settings, against
the running stack (services, gunicorn) and the Flask app driven by its test client."""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from devtools.stack import REPO_ROOT
from services.web.security_headers import CONTENT_SECURITY_POLICY
from tests.helpers import login, new_technicien, post_form
from tests.test_web_auth import PASSWORD, accounts_db, text

pytestmark = [pytest.mark.integration, pytest.mark.db]


def session_token(app, client):
    """The server-side session token the web's signed cookie holds (None when logged out)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value).get("sid") if cookie else None


def set_cookie_of(response, name):
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def test_login_sets_a_fresh_session_token_in_an_httponly_samesite_cookie(app, client):
    client.get("/connexion")
    assert session_token(app, client) is None
    response = login(client, "technicien")
    cookie = set_cookie_of(response, "ep_session")               # plain http here: no __Host- prefix
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie and "Domain" not in cookie
    first = session_token(app, client)
    other = app.test_client()
    login(other, "technicien")
    assert first and session_token(app, other) != first               # a new identifier at each login


def test_logout_ends_the_session_server_side(app, client):
    login(client, "technicien")
    stolen = client.get_cookie("ep_session").value
    assert client.get("/").status_code == 200
    client.post("/deconnexion", data={"csrf_token": _csrf(client)})
    thief = app.test_client()
    thief.set_cookie("ep_session", stolen)
    response = thief.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def _csrf(client):
    from tests.helpers import csrf_from

    return csrf_from(client.get("/mon-compte").get_data(as_text=True))


def test_idle_session_ends_with_a_message(app, client, stack):
    login(client, "technicien_b")
    accounts_db(stack, "UPDATE sessions SET last_seen_at = :old WHERE id = (SELECT max(id) FROM sessions)",
                old="2000-01-01 00:00:00")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")
    assert "inactivité" in text(client.get("/connexion"))


def signed_in_twice(app, client, mailbox):
    """A fresh technicien signed in from two browsers (CGU accepted)."""
    email = new_technicien(app, mailbox, client)
    browsers = app.test_client(), app.test_client()
    for browser in browsers:
        post_form(browser, "/connexion", {"email": email, "password": PASSWORD})
        post_form(browser, "/cgu", {"accept": "y"})
    return browsers


def test_log_out_my_other_sessions(app, client, mailbox):
    laptop, phone = signed_in_twice(app, client, mailbox)
    page = text(laptop.get("/mon-compte"))
    assert "Mes sessions ouvertes" in page and page.count("<tr><td>") == 2 and "(cette session)" in page
    done = post_form(laptop, "/mon-compte/sessions/fermer-les-autres", {})
    assert done.status_code == 303
    assert "1 autre(s) session(s) fermée(s)" in text(laptop.get("/mon-compte"))
    assert phone.get("/").status_code == 302
    assert "depuis une autre session" in text(phone.get("/connexion"))
    assert laptop.get("/").status_code == 200


def test_password_change_ends_the_other_sessions(app, client, mailbox):
    mine, other = signed_in_twice(app, client, mailbox)
    changed = post_form(mine, "/mon-compte/mot-de-passe", {"current_password": PASSWORD,
                                                          "password": "Change-Solide-Ouvrage-2026!",
                                                          "confirm": "Change-Solide-Ouvrage-2026!"})
    assert changed.status_code == 303 and mine.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert "mot de passe du compte a été changé" in text(other.get("/connexion"))


def test_security_headers_on_pages_and_no_cache_of_personal_pages(client):
    login(client, "technicien")
    for path in ("/connexion", "/", "/mon-compte"):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "unsafe" not in CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin" and headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in headers                 # plain http: HSTS would be ignored
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_pages_hold_no_inline_script_or_style(client):
    login(client, "technicien")
    for path in ("/connexion", "/", "/mon-compte", "/demandes"):
        page = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "<style" not in page, path
        assert '"includeIndicatorStyles": false' in page and '"allowEval": false' in page


def test_error_pages_show_no_trace_nor_version(client):
    for response in (client.get("/nulle-part"), client.post("/connexion/profil/inexistant"),
                     client.put("/connexion")):
        body = text(response)
        assert response.status_code in (404, 405) and "Espace Partenaires" in body
        assert "Traceback" not in body and "Werkzeug" not in body and "Server" not in response.headers


def test_unexpected_error_page_shows_no_trace(stack):
    app = _app(stack.env)
    app.add_url_rule("/panne", "panne", lambda: 1 / 0)              # the failure under test
    response = app.test_client().get("/panne")
    app.extensions["services"].client.close()
    body = text(response)
    assert response.status_code == 500 and "Une erreur inattendue est survenue" in body
    assert "ZeroDivisionError" not in body and "Traceback" not in body


def test_gunicorn_sends_no_server_header(stack):
    with urllib.request.urlopen(stack.env["EP_BASE_URL"] + "/connexion", timeout=5) as response:
        assert response.status == 200 and response.headers.get("Server") is None
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(stack.env["EP_BASE_URL"] + "/nulle-part", timeout=5)
    assert missing.value.headers.get("Server") is None and "Traceback" not in missing.value.read().decode()


def test_https_base_url_gives_host_prefixed_secure_cookie_and_hsts(stack):
    app = _app({**stack.env, "EP_BASE_URL": "https://partenaires.example.org"})
    response = app.test_client().get("/connexion", base_url="https://partenaires.example.org")
    app.extensions["services"].client.close()
    cookie = set_cookie_of(response, "__Host-ep_session")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


STRONG = "Vq3-xP9_kL2mN8rT4wY6zB1cD5fG7hJ0aS"


PRODUCTION = {"EP_ENV": "production", "EP_SECRET_KEY": STRONG, "EP_RPC_SECRET": STRONG[::-1],
              "EP_BASE_URL": "https://partenaires.example.org", "AMQP_URI": "amqp://web:Pw-9xK2@rabbitmq:5672/"}
EXAMPLE_SETTINGS = [
    ({"EP_SECRET_KEY": "t" * 48}, "EP_SECRET_KEY est trop peu variée"),
    ({"EP_SECRET_KEY": "change-me-flask-secret-key-at-least-32-characters"}, "EP_SECRET_KEY est une valeur d'exemple"),
    ({"EP_RPC_SECRET": "court"}, "EP_RPC_SECRET doit compter 32 caractères"),
    ({"EP_BASE_URL": "http://partenaires.example.org"}, "EP_BASE_URL doit commencer par https://"),
    ({"AMQP_URI": "amqp://guest:guest@rabbitmq:5672/"}, "AMQP_URI ne doit pas utiliser le compte guest"),
    # A cluster's failover list (contracts/broker.py): every node checked, not only the first.
    ({"AMQP_URI": "amqp://web:Pw-9xK2@rabbit-1:5672/;amqp://guest:guest@rabbit-3:5672/"},
     "AMQP_URI ne doit pas utiliser le compte guest"),
]


@pytest.fixture(scope="module")
def started():
    """{case: the app factory's refusal ("" when it started)}, for the production settings, then each example
    setting in development (tolerated) and in production: every case in one process of its own, which reads
    only the environment each case sets (one interpreter start instead of eighteen)."""
    cases = {"production": PRODUCTION}
    for number, (change, _problem) in enumerate(EXAMPLE_SETTINGS):
        cases[f"development-{number}"] = {**PRODUCTION, "EP_ENV": "development", **change}
        cases[f"production-{number}"] = {**PRODUCTION, **change}
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EP_", "AMQP_"))}
    script = ("import json, os, sys\n"
              "from services.web.app import create_app\n"
              "base, answers = dict(os.environ), {}\n"
              "for case, env in json.load(sys.stdin).items():\n"
              "    os.environ.clear(); os.environ.update({**base, **env})\n"
              "    try:\n"
              "        create_app().extensions['services'].client.close(); answers[case] = ''\n"
              "    except RuntimeError as refusal:\n"
              "        answers[case] = str(refusal)\n"
              "print(json.dumps(answers))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=clean, input=json.dumps(cases),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("number,problem", [(n, problem) for n, (_c, problem) in enumerate(EXAMPLE_SETTINGS)])
def test_production_web_refuses_to_start_with_example_settings(started, number, problem):
    assert started["production"] == ""                           # the real settings start
    assert started[f"development-{number}"] == ""                 # development: tolerated
    assert problem in started[f"production-{number}"]


def test_production_service_refuses_guest_broker_and_sqlite():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EP_", "AMQP_", "ACCOUNTS_"))}
    env.update({"EP_ENV": "production", "EP_RPC_SECRET": STRONG, "AMQP_URI": "amqp://guest:guest@127.0.0.1/"})
    refused = subprocess.run([sys.executable, "-c", "from services.common.config import check_production; "
                              "check_production('accounts')"], cwd=REPO_ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode != 0
    assert "compte guest" in refused.stderr and "ACCOUNTS_DATABASE_URL doit désigner" in refused.stderr


def _app(env):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from services.web.app import create_app

        return create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)
