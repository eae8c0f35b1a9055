"""Small helpers for driving the web like a browser would (forms carry CSRF)."""
import re

import pyotp
import sqlalchemy as sa

from contracts.errors import SecondFactorRequired
from services.accounts.seed import DEMO_ACCOUNTS, DEMO_TOTP_SECRETS

PASSWORDS = {(profile, email): password for profile, email, password, *_ in DEMO_ACCOUNTS}
# The demo accounts the tests use by role (see services/accounts/seed.py): role -> (profile, email).
ROLES = {
    "admin_national": ("admin_national", "admin@assurance-maladie.test"),
    "agent_caisse": ("agent_caisse", "agent@cpam-valfleuri.test"),
    "agent_autre_caisse": ("agent_caisse", "agent@cpam-hauts-fictifs.test"),
    "agent_simple": ("agent_caisse", "agent2@cpam-valfleuri.test"),      # not an administrateur de caisse
    "gestionnaire": ("gestionnaire", "gestionnaire@ccas-saint-exemple.test"),
    "technicien": ("technicien", "technicien@ccas-saint-exemple.test"),
    "gestionnaire_b": ("gestionnaire", "gestionnaire@relais-fictif.test"),
    "technicien_b": ("technicien", "technicien@relais-fictif.test"),
}
LOGINS = {role: (email, PASSWORDS[(profile, email)]) for role, (profile, email) in ROLES.items()}


# The running stack's accounts database (set by the ``stack`` fixture of tests/conftest.py).
STACK = {"accounts_database_url": None}


def accounts_db(statement: str, database_url: str | None = None, **params) -> None:
    """Change the running stack's accounts database directly (what a test cannot wait for: time passing)."""
    engine = sa.create_engine(database_url or STACK["accounts_database_url"])
    with engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    engine.dispose()


def second_factor_code(profile: str, email: str, database_url: str | None = None) -> str:
    """The current code of a demo account's authenticator (its fixed demo secret).
    accounts accepts a code once (replay guard) and the suite logs the same agents in many
    times a minute: the last accepted time step is forgotten first, in the test stack's
    database — a shortcut of the tests, not of the product."""
    accounts_db("UPDATE account SET totp_last_step = NULL WHERE email = :email AND profile = :profile",
                database_url, email=email, profile=profile)
    return pyotp.TOTP(DEMO_TOTP_SECRETS[(profile, email)]).now()


def csrf_from(html: str) -> str:
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def post_form(client, url, data):
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def search(client, path, headers=None, **filters):
    """A list's search as its form sends it: POSTed with the page's CSRF token (a name never in a URL)."""
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={**filters, "csrf_token": token}, headers=headers or {})


def code_step(page: str) -> dict | None:
    """On the login's code page (second factor): the fields to post the code with; None on any other page."""
    if 'action="/connexion/code"' not in page:
        return None
    return {"csrf_token": csrf_from(page), "ticket": re.search(r'name="ticket"[^>]*value="([^"]+)"', page)[1]}


def login(client, profile):
    """Through the login form, and its second step (the code) for the demo admin and agents."""
    return login_with(client, *LOGINS[profile], profile=ROLES[profile][0])


def login_with(client, email, password, profile=None):
    response = post_form(client, "/connexion", {"email": email, "password": password})
    step = code_step(response.get_data(as_text=True))
    if step:
        response = client.post("/connexion/code", data={**step, "code": second_factor_code(
            profile, email, database_url=client.application.config.get("TEST_ACCOUNTS_DATABASE_URL"))})
    return response


def authenticated(app, email, password) -> dict:
    """A fresh session's summary (identity + token) straight from accounts, the code step
    answered for the demo accounts that have a second factor."""
    services = app.extensions["services"]
    with app.app_context():
        try:
            return services.call("accounts", "authenticate", email, password)
        except SecondFactorRequired as step:
            profile = next(p for p, e in DEMO_TOTP_SECRETS if e == email)
            code = second_factor_code(profile, email, database_url=app.config.get("TEST_ACCOUNTS_DATABASE_URL"))
            return services.call("accounts", "authenticate_second_factor", step.ticket, code)


def rpc_as(app, role):
    """Call the services directly as a demo user (set-up steps a test does not exercise)."""
    services = app.extensions["services"]
    summary = authenticated(app, *LOGINS[role])
    from services.web.users import identity_of

    who = identity_of(summary)

    def call(method, *args, **kwargs):
        with app.app_context():
            return services.call("accounts", method, *args, who=who, **kwargs)
    return call


def link_in(message, path_prefix):
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s\"<]+)", message["text"])
    assert match, f"no {path_prefix} link in: {message['text']}"
    return match.group(1)


def new_technicien(app, mailbox, client, password="Activation-Solide-2026!"):
    """A fresh technicien of the demo association (the bigger partner: room under its cap),
    activated through the emailed link; returns its email."""
    import uuid

    email = f"t-{uuid.uuid4().hex[:8]}@relais-fictif.test"
    rpc_as(app, "gestionnaire_b")("create_technicien", {
        "civility": "Mme", "last_name": "Nouvelle", "first_name": "Zoé", "function": "Conseillère",
        "phone": "0123456789", "email": email})
    path = link_in(mailbox.wait_for(email), "/activation/")
    response = post_form(client, path, {"password": password, "confirm": password})
    assert response.status_code == 303, response.get_data(as_text=True)
    return email


def json_logs(log_dir) -> dict[str, list[dict]]:
    """Every line the web and the services wrote in ``log_dir`` (devtools.stack: ``<program>[-<n>].log``),
    parsed: each must be one JSON object (contracts/logs.py), or the test fails on it. The mail catcher
    and clamd, development tools, write plain text."""
    import json
    from pathlib import Path

    from devtools.stack import SERVICES

    parsed = {}
    for path in sorted(Path(log_dir).glob("*.log")):
        if path.stem.partition("-")[0] not in ("web", *SERVICES):
            continue
        text = path.read_text(errors="replace")
        lines = text.split("\n")[:-1]                        # the last one may still be being written
        parsed[path.name] = []
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            assert isinstance(entry, dict), f"{path.name}:{number} is not a JSON object: {line[:300]!r}"
            parsed[path.name].append(entry)
    return parsed


def access_lines(log_dir, *expected: str, timeout: float = 20) -> list[dict]:
    """The web's access lines (gunicorn's, parsed), once each of ``expected`` is in one of their messages
    (``'"POST /demandes HTTP/1.1"'``): gunicorn writes a line once its answer has left. After ``timeout``,
    whatever is there (the caller's assertion says what is missing)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in json_logs(log_dir)["web.log"] if line["logger"] == "gunicorn.access"]
        if all(any(text in line["message"] for line in lines) for text in expected) or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)
