"""No enumeration, no lock-out by strangers (issue 16, point 3): an unknown address gets the same answers,
delays and lock as a real one after the same tries; a lock set by a stranger from one place slows that
place and every new one, not the owner where they usually sign in; a sign-in never lifts a lock; the
places are kept as keyed hashes only."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from contracts.errors import ServiceError
from services.accounts import settings, throttle
from services.accounts.models import AuditEntry, KnownPlace, utcnow
from services.accounts.tests.conftest import TECH, account, counters, lock_of

pytestmark = pytest.mark.db
TECH_PASSWORD = "Techni-Demo-2026!"
UNKNOWN = "personne@ccas-saint-exemple.test"
OFFICE, STRANGER, ELSEWHERE = "198.51.100.7", "203.0.113.66", "192.0.2.44"


def attempt(worker, email, password, address) -> str:
    """One try: "ok", or the refusal's type and words, its times masked (they name the moment of the try)."""
    try:
        worker().authenticate(email, password, "Firefox", address)
        return "ok"
    except ServiceError as exc:
        return f"{type(exc).__name__}: " + re.sub(r"\d{2}/\d{2}/\d{4}|\d{2}[:h]\d{2}(:\d{2})?", "…", exc.message)


def tries(session, worker, email, count, address, delays_run_out=True) -> list[str]:
    answers = []
    for n in range(count):
        answers.append(attempt(worker, email, "Pas-le-bon-2026!", address))
        if n == settings.FREE_FAILURES:                         # at once again, during the delay
            answers.append(attempt(worker, email, "Pas-le-bon-2026!", address))
        if delays_run_out:
            counters(session, last_failure_at=utcnow() - timedelta(minutes=10))
    return answers


def test_an_unknown_address_is_answered_like_a_real_one_through_the_same_tries(session, worker):
    real = tries(session, worker, TECH, settings.LOCK_AFTER_FAILURES + 2, STRANGER)
    unknown = tries(session, worker, UNKNOWN, settings.LOCK_AFTER_FAILURES + 2, STRANGER)
    assert real == unknown
    assert real[0] == "InvalidCredentials: Adresse électronique ou mot de passe incorrect."
    assert real[settings.FREE_FAILURES + 1].startswith("LoginThrottled: Trop de tentatives infructueuses")
    assert real[-1].startswith("LoginThrottled: Compte temporairement verrouillé après 10 échecs")
    assert lock_of(session, throttle.for_address(UNKNOWN)) is not None


def test_a_stranger_locks_the_address_elsewhere_not_the_owner_where_they_usually_sign_in(session, worker):
    owner = worker().authenticate(TECH, TECH_PASSWORD, "Firefox", OFFICE)          # the usual place
    assert tries(session, worker, TECH, 20, STRANGER)[-1].startswith("LoginThrottled: Compte temporairement")
    assert attempt(worker, TECH, TECH_PASSWORD, STRANGER).startswith("LoginThrottled")  # even the right one
    assert attempt(worker, TECH, TECH_PASSWORD, ELSEWHERE).startswith("LoginThrottled")  # any new place too
    again = worker().authenticate(TECH, TECH_PASSWORD, "Firefox", OFFICE)          # the owner is let in
    assert again["id"] == owner["id"] and again["session_id"] != owner["session_id"]
    # Opening a session lifted nothing: the stranger's place (and every new one) stays locked.
    assert attempt(worker, TECH, TECH_PASSWORD, STRANGER).startswith("LoginThrottled: Compte temporairement")
    assert lock_of(session, throttle.for_address(TECH)) > utcnow() + timedelta(minutes=14)
    # The stranger's failures are in the account's journal.
    failed = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.target_id == owner["id"], AuditEntry.action == "login_failed"))
    assert failed == settings.LOCK_AFTER_FAILURES


def test_failures_from_the_usual_place_count_on_their_own_and_lock_it(session, worker):
    worker().authenticate(TECH, TECH_PASSWORD, "Firefox", OFFICE)
    answers = tries(session, worker, TECH, settings.LOCK_AFTER_FAILURES + 1, OFFICE)
    assert answers[-1].startswith("LoginThrottled: Compte temporairement")
    assert attempt(worker, TECH, TECH_PASSWORD, OFFICE).startswith("LoginThrottled")
    assert lock_of(session, throttle.for_address(TECH)) is None             # new places are not locked by it
    assert attempt(worker, TECH, TECH_PASSWORD, ELSEWHERE) == "ok"


def test_only_a_keyed_hash_of_the_last_places_is_kept(session, worker):
    for n in range(settings.KNOWN_PLACES + 2):
        worker().authenticate(TECH, TECH_PASSWORD, "Firefox", f"198.51.100.{n}")
    kept = session.scalars(sa.select(KnownPlace.place).where(KnownPlace.account_id == account(session, TECH).id)).all()
    assert len(kept) == settings.KNOWN_PLACES
    assert all(re.fullmatch(r"[0-9a-f]{64}", place) and "198.51" not in place for place in kept)
    # The oldest place is forgotten: its failures count with every new place's, on the address.
    answers = [attempt(worker, TECH, "Pas-le-bon-2026!", "198.51.100.0")]
    answers += [attempt(worker, TECH, "Pas-le-bon-2026!", "192.0.2.1") for _ in range(settings.FREE_FAILURES)]
    assert answers[-1].startswith("LoginThrottled: Trop de tentatives"), answers
    assert attempt(worker, TECH, TECH_PASSWORD, "198.51.100.6") == "ok"          # a remembered place: in
