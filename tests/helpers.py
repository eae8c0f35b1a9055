"""Small helpers for driving the web like a browser would (forms carry CSRF)."""
import re

from services.accounts.seed import DEMO_ACCOUNTS

PASSWORDS = {(profile, email): password for profile, email, password, *_ in DEMO_ACCOUNTS}
# The demo accounts the tests use by role (see services/accounts/seed.py): role -> (profile, email).
ROLES = {
    "admin_national": ("admin_national", "admin@assurance-maladie.test"),
    "agent_caisse": ("agent_caisse", "agent@cpam-valfleuri.test"),
    "agent_autre_caisse": ("agent_caisse", "agent@cpam-hauts-fictifs.test"),
    "gestionnaire": ("gestionnaire", "gestionnaire@ccas-saint-exemple.test"),
    "technicien": ("technicien", "technicien@ccas-saint-exemple.test"),
    "gestionnaire_b": ("gestionnaire", "gestionnaire@relais-fictif.test"),
    "technicien_b": ("technicien", "technicien@relais-fictif.test"),
}
LOGINS = {role: (email, PASSWORDS[(profile, email)]) for role, (profile, email) in ROLES.items()}


def csrf_from(html: str) -> str:
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def post_form(client, url, data):
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def login(client, profile):
    email, password = LOGINS[profile]
    return post_form(client, "/connexion", {"email": email, "password": password})
