"""A page read reuses the web process's check of its session for a few seconds (services/web/session_cache.py);
an ended session stops opening pages at once all the same, through accounts' announcement, in every web process.

Two Flask apps in this process stand for two web processes: each has its own cache and its own listener on
the real broker; accounts and its database are the running stack's. The recheck delay is a minute here, so
a refusal seen within seconds can only come from the announcement."""
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from devtools.scratch import private_vhost
from services.web import metrics
from tests.conftest import web_app
from tests.helpers import login, post_form

LONG = {"EP_SESSION_RECHECK_SECONDS": 60}


def session_checks() -> float:
    """How many times the web has asked accounts to resume a session, in this process."""
    return sum(sample.value for family in metrics.WEB_RPC_CALLS.collect() for sample in family.samples
               if sample.name.endswith("_total") and sample.labels["method"] == "resume_session")


def listening(app, timeout=10):
    app.extensions["session_listener"].ensure_started()
    deadline = time.monotonic() + timeout
    while not app.extensions["session_cache"].is_listening:
        assert time.monotonic() < deadline, "the web's listener never bound to accounts' announcements"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def apps(stack):
    """Two web processes' worth of app, listening."""
    first, second = web_app(stack, LONG), web_app(stack, LONG)
    pair = next(first), next(second)
    for app in pair:
        listening(app)
    yield pair
    for generator in (first, second):
        next(generator, None)


def signed_in_twice(apps, role="technicien"):
    """The same person signed in on each app (two sessions of one account)."""
    here, there = apps[0].test_client(), apps[1].test_client()
    for app, client in zip(apps, (here, there)):
        with app.app_context():
            login(client, role)
        assert client.get("/demandes").status_code == 200
    time.sleep(0.5)            # the sign-ins' own announcements (the account's row changed) have arrived
    for client in (here, there):
        assert client.get("/demandes").status_code == 200
    return here, there


def test_a_page_read_reuses_the_check_and_a_change_asks_again(apps):
    here, _ = signed_in_twice(apps)
    before = session_checks()
    for _ in range(5):
        assert here.get("/demandes").status_code == 200
    assert session_checks() == before                   # five reads, no session check

    post_form(here, "/mon-compte/sessions/fermer-les-autres", {})   # a change: checked, then forgotten
    after_change = session_checks()
    assert after_change >= before + 1
    assert here.get("/demandes").status_code == 200
    assert session_checks() == after_change + 1         # the read after a change asks again


def test_an_ended_session_stops_at_once_in_every_web_process_even_when_pushed(apps):
    here, there = signed_in_twice(apps)
    assert here.get("/demandes").status_code == 200     # remembered by the first process
    ended = post_form(there, "/mon-compte/sessions/fermer-les-autres", {})
    assert ended.status_code == 303
    started = time.monotonic()
    # The copy of the first session, hammered by 20 reads at once, a minute before the recheck is due.
    deadline = started + 3
    while True:
        statuses = _parallel_reads(here, 20)
        if set(statuses) == {302}:
            break
        assert time.monotonic() < deadline, f"the ended session still opened pages: {statuses}"
        time.sleep(0.02)
    took = time.monotonic() - started
    print(f"ended session refused everywhere after {took * 1000:.0f} ms")
    assert set(_parallel_reads(here, 20)) == {302}       # and never again


def _parallel_reads(client, count):
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"]).value
    name = client.application.config["SESSION_COOKIE_NAME"]

    def read(_):
        fresh = client.application.test_client()
        fresh.set_cookie(name, cookie)
        return fresh.get("/demandes").status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(read, range(count)))


def test_without_the_announcements_every_request_asks_accounts(stack):
    """Fail closed: a web that cannot bind to accounts' exchange (here: a broker vhost where accounts never
    declared it) remembers nothing."""
    vhost = f"ep-test-{uuid.uuid4().hex[:8]}-silent"
    with private_vhost(vhost) as silent_uri:
        generator = web_app(stack, LONG)
        app = next(generator)
        silent = app.extensions["session_listener"]
        silent.addresses = [silent_uri]
        try:
            silent.ensure_started()
            client = app.test_client()
            with app.app_context():
                login(client, "technicien")
            time.sleep(1.5)                              # the listener has tried (and failed) by now
            assert not app.extensions["session_cache"].is_listening
            before = session_checks()
            for _ in range(3):
                assert client.get("/demandes").status_code == 200
            assert session_checks() == before + 3
        finally:
            next(generator, None)
