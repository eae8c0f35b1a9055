"""Liveness and readiness for an orchestrator (issue 18, point 3), on the running system: each service
process answers ``/vivant`` and ``/pret`` on its probe port (services/common/probes.py), the web
``/sante/vivant`` and ``/sante/pret``; clamd not answering makes requests not ready, and nothing else,
while every process stays alive. (The broker lost: tests/faults/test_broker_restart.py; the database
lost: services/common/tests/test_probes.py.)"""
import os
import signal

import pytest

pytestmark = [pytest.mark.integration]


def test_each_service_and_the_web_are_alive_and_ready(stack):
    for name in ("accounts", "requests", "notifier"):
        assert stack.probe(name, "/vivant") == (200, {"service": name, "status": "ok"})
        status, body = stack.probe(name, "/pret")
        expected = {"broker", "database", "clamd"} if name == "requests" else {"broker", "database"}
        assert status == 200 and body["status"] == "ok", body
        assert body["checks"] == dict.fromkeys(expected, "ok")
    assert stack.probe("web", "/sante/vivant") == (200, {"web": "ok"})
    assert stack.probe("web", "/sante/pret") == (200, {"web": "ok", "checks": {"broker": "ok"}})
    assert stack.probe("web", "/sante")[0] == 200                       # the previous endpoint stays


def test_requests_is_not_ready_while_clamd_does_not_answer_and_ready_again_after(stack):
    clamd = stack.clamd.process.pid
    os.killpg(clamd, signal.SIGSTOP)              # clamd hung: its socket accepts, nothing answers
    try:
        status, body = stack.probe("requests", "/pret")
        assert status == 503 and body["status"] == "indisponible"
        assert body["checks"] == {"broker": "ok", "database": "ok", "clamd": "indisponible"}
        assert stack.probe("requests", "/vivant")[0] == 200            # alive: no restart for a dependency
        assert stack.probe("accounts", "/pret")[0] == 200               # the other services are not concerned
        assert stack.probe("web", "/sante/pret")[0] == 200
    finally:
        os.killpg(clamd, signal.SIGCONT)
    status, body = stack.probe("requests", "/pret")
    assert status == 200 and body["checks"]["clamd"] == "ok"
