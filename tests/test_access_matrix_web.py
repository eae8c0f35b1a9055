"""Access control of every web route for every profile, from tests/web_access_table.py: each
profile logged in through the login form (tests/helpers.py), every route requested (GET, or POST
with the CSRF token when the route only takes POST) with path parameters naming objects of
caisse X / partner A. Anonymous and inactivated people are sent to /connexion, the wrong profile
or owner gets a 403/404 page, the allowed ones get the page (or its redirect); never a 500.

A route without a row fails the test: a new page must say who may see it.
"""
import re

import pytest

from tests.access_world import INACTIVE_PASSWORD, PROFILES, World
from tests.helpers import login, login_with
from tests.access_table import CONVENTION_CASES, LIKE_PLAIN, PEOPLE, PLAIN_AGENT
from tests.web_access_table import ON_PARTNER_PAGES, ROUTES, SPECIFIC, path_values

pytestmark = [pytest.mark.integration, pytest.mark.db]
LAST = ("auth.logout",)          # ends the session: after everything else


@pytest.fixture(scope="module")
def world(app, stack):
    from tests.conftest import Mailbox

    return World(app, Mailbox(stack.env["EP_MAILCATCHER_URL"]), app.test_client())


@pytest.fixture(scope="module")
def clients(app, world):
    """A logged-in test client per profile; the inactive one logged in, then inactivated."""
    made = {}
    for profile, role in PROFILES.items():
        made[profile] = app.test_client()
        if role:
            assert login(made[profile], role).status_code == 303
    assert login_with(made["inactive"], world.inactive_email, INACTIVE_PASSWORD).status_code == 303
    world.inactivate()
    return made


def csrf_token(client) -> str:
    page = client.get("/connexion").get_data(as_text=True)
    if "X-CSRFToken" not in page:
        page = client.get("/mon-compte").get_data(as_text=True)
    match = re.search(r'"X-CSRFToken": "([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


# The services' refusal sentences (contracts.errors NotAuthorized / NotFound and the scoped lookups).
REFUSALS = ("autorisé", "introuvable")


def outcome(client, response) -> str:
    if response.status_code >= 500:
        return f"error {response.status_code}"
    if response.status_code in (301, 302, 303):
        location = response.headers["Location"]
        if location.startswith("/connexion"):
            return "login"
        # A POST action refused by the service comes back to its page with the refusal as a message.
        shown = client.get(location).get_data(as_text=True)
        if any(word in shown for word in REFUSALS):
            return "denied"
    if response.status_code in (403, 404):
        return "denied"
    return "allowed"


def expected(route, profile) -> str:
    if profile == PLAIN_AGENT and LIKE_PLAIN in route.allowed and not route.caisse_admin:
        return "login" if route.lands_on_login else "allowed"
    if profile in route.allowed:
        return "login" if route.lands_on_login else "allowed"
    return "login" if profile in ("anonymous", "inactive") else "denied"


def url_for_rule(rule, world, allowed_throwaway):
    values = path_values(world, allowed_throwaway)
    for name, value in SPECIFIC.get(rule.endpoint, {}).items():
        values[name] = getattr(world, value) if isinstance(value, str) and hasattr(world, value) else value
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def rules(app):
    found = list(app.url_map.iter_rules())
    return sorted(found, key=lambda r: (r.endpoint in LAST, r.rule))


def test_every_route_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert len(endpoints) >= 50
    assert endpoints == set(ROUTES), "rows missing or stale: " + str(endpoints ^ set(ROUTES))


def test_every_profile_on_every_route(app, world, clients):
    wrong, tokens = [], {}
    for rule in rules(app):
        route = ROUTES[rule.endpoint]
        for profile, client in clients.items():
            want = expected(route, profile)
            url = url_for_rule(rule, world, route.throwaway and want == "allowed")
            if "GET" in rule.methods:
                response = client.get(url)
            else:
                token = tokens.get(profile) or tokens.setdefault(profile, csrf_token(client))
                response = client.post(url, data={**dict(route.data), "csrf_token": token},
                                       headers={"X-CSRFToken": token})
            got = outcome(client, response)
            if got != want:
                wrong.append(f"{rule.endpoint} {url} as {profile}: {got} ({response.status_code}), expected {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("case", sorted(CONVENTION_CASES))
def test_partner_pages_through_conventions_in_force_only(app, world, case):
    partner, gestionnaire = world.convention_cases[case]
    wrong, clients = [], {}
    for profile in PEOPLE:           # fresh logins: the table above logged everyone out last
        clients[profile] = app.test_client()
        assert login(clients[profile], PROFILES[profile]).status_code == 303
    for rule in (r for r in rules(app) if r.endpoint in ON_PARTNER_PAGES):
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>",
                     lambda m: str({"partner_id": partner, "account_id": gestionnaire}[m.group(1)]), rule.rule)
        for profile in sorted(PEOPLE):
            want = "allowed" if profile in CONVENTION_CASES[case] else "denied"
            got = outcome(clients[profile], clients[profile].get(url))
            if got != want:
                wrong.append(f"{case}: {url} as {profile}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)
