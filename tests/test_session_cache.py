"""The rules of the web's remembered session checks, on the class alone (clock given)."""
from services.web.session_cache import SessionCache

SUMMARY = {"id": 7, "profile": "technicien"}


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def cache(ttl=5.0):
    clock = Clock()
    made = SessionCache(ttl, clock)
    made.listening(True)
    return made, clock


def test_a_check_is_reused_until_its_delay_then_asked_again():
    remembered, clock = cache()
    remembered.store("token", SUMMARY, clock())
    clock.now += 4.9
    assert remembered.lookup("token") == SUMMARY
    clock.now += 0.2
    assert remembered.lookup("token") is None


def test_nothing_is_remembered_while_not_listening_and_everything_is_forgotten_when_it_stops():
    remembered, clock = cache()
    remembered.store("token", SUMMARY, clock())
    remembered.listening(False)
    assert remembered.lookup("token") is None
    remembered.store("token", SUMMARY, clock())
    assert remembered.lookup("token") is None
    remembered.listening(True)                         # bound again: starts empty
    assert remembered.lookup("token") is None


def test_an_announcement_forgets_every_session_of_the_account_only():
    remembered, clock = cache()
    remembered.store("a", SUMMARY, clock())
    remembered.store("b", SUMMARY, clock())
    remembered.store("other", {"id": 8}, clock())
    remembered.stale([7])
    assert remembered.lookup("a") is None and remembered.lookup("b") is None
    assert remembered.lookup("other") == {"id": 8}


def test_a_check_asked_before_an_announcement_is_not_kept():
    """The race: accounts answered « open », then the session ended and was announced, then the answer arrives."""
    remembered, clock = cache()
    asked_at = clock()
    clock.now += 0.01
    remembered.stale([7])
    remembered.store("token", SUMMARY, asked_at)
    assert remembered.lookup("token") is None
    clock.now += 0.01
    remembered.store("token", SUMMARY, clock())        # a check asked after it is
    assert remembered.lookup("token") == SUMMARY


def test_zero_switches_it_off():
    remembered, clock = cache(ttl=0)
    remembered.store("token", SUMMARY, clock())
    assert remembered.lookup("token") is None


def test_a_change_forgets_the_session_it_came_from():
    remembered, clock = cache()
    remembered.store("token", SUMMARY, clock())
    remembered.forget("token")
    assert remembered.lookup("token") is None


def test_a_change_of_a_caisse_partner_or_convention_forgets_everyone():
    remembered, clock = cache()
    asked_at = clock()
    remembered.store("a", SUMMARY, asked_at)
    remembered.store("other", {"id": 8}, asked_at)
    clock.now += 0.01
    remembered.stale(everyone=True)
    assert remembered.lookup("a") is None and remembered.lookup("other") is None
    remembered.store("other", {"id": 8}, asked_at)      # asked before the announcement
    assert remembered.lookup("other") is None
