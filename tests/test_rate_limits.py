"""Anonymous posts are limited per client address and for everyone together (services/web/rate_limits.py):
past the limit the web answers 429 in French at once, before calling any service, and people already
signed in keep being served. The suite's own stack lifts the limits (tests/conftest.py); these apps,
in this process on the same services, have small ones."""
import os
from contextlib import contextmanager

import pytest

from tests.helpers import csrf_from, login

pytestmark = [pytest.mark.integration]


@contextmanager
def limited_app(stack, **limits):
    saved = dict(os.environ)
    os.environ.update(stack.env)
    try:
        from services.web.app import create_app

        app = create_app({"TESTING": True, "EP_TRUSTED_PROXIES": 1,     # X-Forwarded-For names the client
                          "TEST_ACCOUNTS_DATABASE_URL": stack.env["ACCOUNTS_DATABASE_URL"], **limits})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        yield app
    finally:
        app.extensions["services"].client.close()


def wrong_login(client, address: str):
    page = client.get("/connexion", headers={"X-Forwarded-For": address}).get_data(as_text=True)
    return client.post("/connexion", headers={"X-Forwarded-For": address}, data={
        "csrf_token": csrf_from(page), "email": "personne@ccas-saint-exemple.test", "password": "Pas-le-bon-2026!"})


def test_one_address_is_limited_and_another_is_not(stack):
    with limited_app(stack, EP_RATE_LIMIT_PER_ADDRESS="3/minute", EP_RATE_LIMIT_OVERALL="1000/minute") as app:
        client = app.test_client()
        answers = [wrong_login(client, "192.0.2.10").status_code for _ in range(5)]
        assert answers == [200, 200, 200, 429, 429]
        refused = wrong_login(client, "192.0.2.10")
        assert refused.headers["Retry-After"] == "60"
        assert "Trop de demandes" in refused.get_data(as_text=True)
        assert wrong_login(app.test_client(), "192.0.2.11").status_code == 200      # its neighbour is not slowed
        for path in ("/mot-de-passe/oublie", "/mot-de-passe/verifier"):          # every anonymous post counts
            page = client.get("/connexion", headers={"X-Forwarded-For": "192.0.2.10"}).get_data(as_text=True)
            assert client.post(path, headers={"X-Forwarded-For": "192.0.2.10"},
                               data={"csrf_token": csrf_from(page), "email": "a@b.test"}).status_code == 429


def test_a_spray_from_many_addresses_meets_the_overall_limit_and_signed_in_people_are_served(stack):
    with limited_app(stack, EP_RATE_LIMIT_PER_ADDRESS="1000/minute", EP_RATE_LIMIT_OVERALL="4/minute") as app:
        signed_in = app.test_client()
        login(signed_in, "technicien")                                            # one of the four
        answers = [wrong_login(app.test_client(), f"198.51.100.{n}").status_code for n in range(6)]
        assert answers == [200, 200, 200, 429, 429, 429]
        page = signed_in.get("/demandes")
        assert page.status_code == 200 and "DEMO-" in page.get_data(as_text=True)
