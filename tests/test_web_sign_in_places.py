"""No enumeration, no lock-out by strangers, through the web (issue 16, point 3): the sign-in page
answers an unknown address and a real one byte for byte alike through the same tries (delay and lock
included), and the web gives accounts the client address, so a stranger's twenty tries from one place
lock that place, not the owner signing in from where they usually do."""
import re
import uuid
from datetime import timedelta

import pytest

from services.accounts.models import utcnow
from tests.helpers import accounts_db, csrf_from, new_technicien

pytestmark = [pytest.mark.integration, pytest.mark.db]
PASSWORD = "Activation-Solide-2026!"
OFFICE, STRANGER = "198.51.100.20", "203.0.113.20"


def sign_in(client, email, password, address):
    """The sign-in form posted from ``address`` (the client address the web sees)."""
    where = {"REMOTE_ADDR": address}
    page = client.get("/connexion", environ_base=where).get_data(as_text=True)
    return client.post("/connexion", environ_base=where,
                       data={"csrf_token": csrf_from(page), "email": email, "password": password})


def delays_run_out():
    accounts_db("UPDATE sign_in_counter SET last_failure_at = :then", then=utcnow() - timedelta(minutes=10))


def as_bytes(response, email) -> bytes:
    """The answer, but for what differs by nature: the email typed back, the form's CSRF token, the times."""
    body = response.get_data().replace(email.encode(), b"EMAIL")
    body = re.sub(rb"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}", b"CSRF", body)        # the form's and htmx's tokens
    return response.status.encode() + b"\n" + re.sub(rb"\d{2}/\d{2}/\d{4}|\d{2}[:h]\d{2}(:\d{2})?", b"TIME", body)


def tries(client, email, count):
    answers = []
    for n in range(count):
        answers.append(as_bytes(sign_in(client, email, "Pas-le-bon-2026!", STRANGER), email))
        if n == 3:                                                     # at once again: the delay runs
            answers.append(as_bytes(sign_in(client, email, "Pas-le-bon-2026!", STRANGER), email))
        delays_run_out()
    return answers


def test_web_an_unknown_address_and_a_real_one_get_the_same_bytes_through_the_same_tries(app, client, mailbox):
    real = new_technicien(app, mailbox, client, PASSWORD)
    unknown = f"t-{uuid.uuid4().hex[:8]}@relais-fictif.test"
    real_answers, unknown_answers = tries(client, real, 12), tries(client, unknown, 12)
    assert real_answers == unknown_answers
    assert b"incorrect" in real_answers[0]
    assert "Trop de tentatives infructueuses".encode() in real_answers[4]
    assert "Compte temporairement verrouillé".encode() in real_answers[-1]


def test_web_a_strangers_twenty_tries_lock_their_place_not_the_owners_usual_one(app, client, mailbox):
    email = new_technicien(app, mailbox, client, PASSWORD)
    assert sign_in(app.test_client(), email, PASSWORD, OFFICE).status_code == 303   # the owner's usual place
    stranger = app.test_client()
    for _ in range(20):
        sign_in(stranger, email, "Pas-le-bon-2026!", STRANGER)
        delays_run_out()
    locked = sign_in(stranger, email, PASSWORD, STRANGER)                          # even the right password
    assert locked.status_code == 200 and "Compte temporairement verrouillé" in locked.get_data(as_text=True)
    assert sign_in(app.test_client(), email, PASSWORD, OFFICE).status_code == 303   # the owner is in
    still = sign_in(stranger, email, PASSWORD, STRANGER)                           # and the lock still runs there
    assert "Compte temporairement verrouillé" in still.get_data(as_text=True)
