"""Password hashing runs a few at a time (settings.hashing_concurrency): a call that does not get its
turn in time is refused at once with a typed LoginThrottled, so a flood of sign-ins can never hold
every worker of the service in front of the session checks of people already signed in."""
import eventlet
import pytest

from contracts.errors import LoginThrottled
from services.accounts import passwords


@pytest.fixture
def lane_of_one(monkeypatch):
    monkeypatch.setenv("EP_HASHING_CONCURRENCY", "1")
    monkeypatch.setenv("EP_HASHING_WAIT_SECONDS", "0.05")
    monkeypatch.setattr(passwords, "_lane", None)          # made again with these settings
    yield passwords._hashing_lane()
    monkeypatch.setattr(passwords, "_lane", None)


def test_a_hash_waits_its_turn_then_is_refused_when_the_lane_stays_full(lane_of_one):
    stored = passwords.hash_password("Un-mot-de-passe-2026!")
    lane_of_one.acquire()                                  # every place in the lane taken
    try:
        with pytest.raises(LoginThrottled) as refused:
            passwords.verify_password(stored, "Un-mot-de-passe-2026!")
        assert "patientez quelques secondes" in refused.value.message
    finally:
        lane_of_one.release()
    assert passwords.verify_password(stored, "Un-mot-de-passe-2026!")       # a free place: served


def test_twenty_parallel_checks_hold_at_most_the_lane_and_each_gets_an_answer(lane_of_one, monkeypatch):
    monkeypatch.setenv("EP_HASHING_WAIT_SECONDS", "30")   # wait for a turn: every call is served in the end
    stored = passwords.hash_password("Un-mot-de-passe-2026!")
    inside, most = [0], [0]
    real = passwords._hasher

    class CountingHasher:                                  # how many hashes run at the same moment
        def verify(self, *args):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            try:
                return real.verify(*args)
            finally:
                inside[0] -= 1

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    pool = eventlet.GreenPool(20)
    answers = list(pool.imap(lambda _: passwords.verify_password(stored, "Un-mot-de-passe-2026!"), range(20)))
    assert answers == [True] * 20 and most[0] == 1
