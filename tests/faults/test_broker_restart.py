"""Fault 6: RabbitMQ restarted (stop_app / start_app on the private node) while
techniciens file requests through gunicorn.

Proves: the web never answers 500; each submission it acknowledged is in the
requests database exactly once; each one it did not got the French "réessayez"
form back, and sending that same form again once the broker is back files it
exactly once too (idempotency key, no duplicate whatever happened behind the
cut); the web and every service instance serve again within 15 seconds of the
broker's return, with nobody restarting anything. During the cut every process stays alive
(liveness) and none is ready (readiness: the broker is a dependency of each); all ready again after."""
import threading
import time

import pytest

from tests.faults.conftest import wait_all_instances
from tests.faults.web import WebUser, requests_named, submit_until

pytestmark = [pytest.mark.faults, pytest.mark.integration]

SUBMITTERS = 3
RECOVERY = 15


def probes(stack) -> dict:
    """{(process, probe): HTTP status} of every service instance and of the web."""
    paths = {**{name: ("/vivant", "/pret") for name in stack.health_ports}, "web": ("/sante/vivant", "/sante/pret")}
    return {(name, path): stack.probe(name, path)[0] for name, pair in paths.items() for path in pair}


def test_broker_restart_loses_nothing_and_duplicates_nothing(fault_stack, private_broker):
    base = f"http://127.0.0.1:{fault_stack.web_port}"
    users = [WebUser(base) for _ in range(SUBMITTERS)]
    made, pages, stop = [], [], threading.Event()
    threads = [threading.Thread(target=submit_until, args=(stop, user, made, pages)) for user in users]
    for thread in threads:
        thread.start()
    held_user = WebUser(base)
    try:
        # Opened at once: after exactly gunicorn's 2 s keep-alive, the GET raced the server closing the idle
        # connection (« Remote end closed connection », 1 CI run in 4).
        held = held_user.open_form()                    # a form on someone's screen when the broker goes
        time.sleep(2)
        private_broker.stop_app()
        cut_at = len(made)
        cut = time.monotonic()
        held_user.send(held)                            # sent during the cut, whatever the submitters' timing
        made.append(held)
        during = probes(fault_stack)
        time.sleep(max(0.0, 3 - (time.monotonic() - cut)))
        private_broker.start_app()
        back_at = time.monotonic()
        # The web serves again: a submission started after the return is filed within the delay.
        while not any(a.filed and a.at >= back_at for s in list(made) for a in s.answers):
            assert time.monotonic() - back_at < RECOVERY, "the web did not file a request again in time"
            time.sleep(0.2)
        web_back = time.monotonic() - back_at
        wait_all_instances(fault_stack, timeout=RECOVERY - web_back)
        time.sleep(1)
        after = probes(fault_stack)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)

    assert during == {probe: 200 if "vivant" in probe[1] else 503 for probe in during}, during
    assert set(after.values()) == {200}, after
    answers = [a for s in made for a in s.answers] + pages
    assert all(a.status != 500 for a in answers)
    strange = [(a.status, a.text[:300]) for a in answers if not (a.filed or a.retry)]
    assert strange == []
    unacknowledged = [s for s in made if not s.answers[0].filed]
    assert unacknowledged, "the cut fell between submissions: nothing was refused, the test proves nothing"
    assert any(s.answers[0].filed for s in made[:cut_at]) and any(s.answers[0].filed for s in made[cut_at:])

    # Each user sends the "réessayez" form again (same page, same key): filed now, once.
    for submission in unacknowledged:
        answer = submission.user.send(submission)
        assert answer.filed, (answer.status, answer.text[:300])
    database = fault_stack.env["REQUESTS_DATABASE_URL"]
    for submission in made:
        assert requests_named(database, submission.name) == [submission.answers[-1].request_id], submission.name
