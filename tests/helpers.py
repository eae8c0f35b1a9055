"""Small helpers for driving the web like a browser would (forms carry CSRF)."""
import re

from services.accounts.seed import DEMO_ACCOUNTS

LOGINS = {profile: (email, password) for profile, email, password, *_ in DEMO_ACCOUNTS}


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
