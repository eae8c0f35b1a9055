"""Fault 7: one service killed outright (SIGKILL of every instance: no clean
shutdown, its consumers vanish). Extends tests/test_degraded.py (requests stopped
cleanly) to a kill of the notifier under the faults stack.

Proves: its screens show the degraded partial (the full page says so with a 503,
an htmx region gets the partial with a 200), every other screen keeps working;
restarted, it serves again with nothing else done (no queue to redeclare, no web
restart): the web's next call finds it."""
import signal
import time

import pytest

from tests.faults.conftest import RPC_TIMEOUT, wait_all_instances
from tests.faults.web import WebUser

pytestmark = [pytest.mark.faults, pytest.mark.integration]

NOTIFIER = ("notifier", "notifier#2")
OTHER_SCREENS = ("/", "/file", "/demandes/1", "/partenaires")


def test_killed_notifier_degrades_its_screens_only_and_comes_back(fault_stack):
    agent = WebUser(f"http://127.0.0.1:{fault_stack.web_port}", role="agent_caisse",
                    accounts_database_url=fault_stack.env["ACCOUNTS_DATABASE_URL"])
    assert agent.get("/courriels").status == 200
    fault_stack.stop_processes(NOTIFIER, sig=signal.SIGKILL)
    try:
        page = agent.get("/courriels")
        assert page.status == 503 and 'data-degraded="notifier"' in page.text and "Réessayez" in page.text
        assert page.seconds < RPC_TIMEOUT + 1.5
        region = agent.get("/courriels?apres=0", htmx=True)
        assert region.status == 200 and 'data-degraded="notifier"' in region.text
        for path in OTHER_SCREENS:
            other = agent.get(path)
            assert other.status == 200 and "data-degraded" not in other.text, path
        assert agent.get("/sante").text.count("indisponible") == 1
    finally:
        for name in NOTIFIER:
            fault_stack.start_process(name)
    wait_all_instances(fault_stack, ["notifier"])
    deadline = time.monotonic() + 10
    while (page := agent.get("/courriels")).status != 200:
        assert time.monotonic() < deadline, page.text[:300]
        time.sleep(0.3)
    assert "data-degraded" not in page.text
