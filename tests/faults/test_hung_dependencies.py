"""Fault 9: a dependency that hangs never holds a web worker past the RPC timeout.

Proves, measured from the test over real HTTP: with the notifier's SMTP server
accepting connections and never answering (its delivery stuck in a send), the
notifier's screens still answer within EP_RPC_TIMEOUT plus a margin; with the
requests database locked by another writer (SQLite BEGIN EXCLUSIVE), a
submission comes back within that bound with the French "réessayez" form, and
sending the same form again once the lock is gone files it exactly once."""
import socket
import sqlite3
import threading
import time

import pytest

from devtools.stack import free_port
from tests.faults.conftest import RPC_TIMEOUT, wait_all_instances
from tests.faults.web import WebUser, requests_named
from tests.helpers import csrf_from

pytestmark = [pytest.mark.faults, pytest.mark.integration]

MARGIN = 1.5        # the web's own work around the call (rendering, session check)
NOTIFIER = ("notifier", "notifier#2")


class HungSmtp:
    """Accepts TCP connections and never says a word (no 220 greeting)."""

    def __init__(self):
        self.port = free_port()
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.accepted = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.accepted.append(self.server.accept()[0])
            except OSError:
                return

    def close(self):
        self.server.close()
        for conn in self.accepted:
            conn.close()


def _restart_notifier(stack, env=None):
    stack.stop_processes(NOTIFIER)
    for name in NOTIFIER:
        stack.start_process(name, env=env)
    wait_all_instances(stack, ["notifier"])


def test_hung_smtp_server_does_not_hold_the_web(fault_stack):
    base = f"http://127.0.0.1:{fault_stack.web_port}"
    hung = HungSmtp()
    try:
        _restart_notifier(fault_stack, {"SMTP_PORT": str(hung.port)})
        visitor = WebUser.anonymous(base)
        page = visitor.get("/mot-de-passe/oublie")
        visitor.http.post(base + "/mot-de-passe/oublie", timeout=30, allow_redirects=False,
                          data={"email": "gestionnaire@ccas-saint-exemple.test", "csrf_token": csrf_from(page.text)})
        deadline = time.monotonic() + 15
        while not hung.accepted:                 # the reset email is being sent: delivery is stuck
            assert time.monotonic() < deadline, "the notifier never tried the SMTP server"
            time.sleep(0.2)
        agent = WebUser(base, role="agent_caisse", accounts_database_url=fault_stack.env["ACCOUNTS_DATABASE_URL"])
        for path in ("/courriels", "/actualites", "/"):
            answer = agent.get(path)
            assert answer.status == 200 and answer.seconds < RPC_TIMEOUT + MARGIN, (path, answer.status,
                                                                                    answer.seconds)
    finally:
        hung.close()
        _restart_notifier(fault_stack)


def test_locked_database_gets_a_retry_message_in_time_then_files_once(fault_stack):
    technicien = WebUser(f"http://127.0.0.1:{fault_stack.web_port}")
    submission = technicien.open_form()
    lock = sqlite3.connect(fault_stack.env["REQUESTS_DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        answer = technicien.send(submission)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert answer.retry and answer.status == 503, (answer.status, answer.text[:300])
    assert answer.seconds < RPC_TIMEOUT + MARGIN
    again = technicien.send(submission)
    assert again.filed, (again.status, again.text[:300])
    assert requests_named(fault_stack.env["REQUESTS_DATABASE_URL"], submission.name) == [again.request_id]
