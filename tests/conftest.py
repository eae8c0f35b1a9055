"""The whole system for cross-service tests: mail catcher, the three services
and gunicorn as real processes (devtools.stack), on this run's private vhost
and databases, seeded with the demo data."""
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from devtools.stack import REPO_ROOT, Stack, free_port

# The suite signs in hundreds of times from one address, some at once: the anonymous limits and the
# hashing lane are tested on their own (tests/test_rate_limits.py, accounts/tests/test_hashing_lane.py).
LIFTED_FLOOD_LIMITS = {"EP_RATE_LIMIT_PER_ADDRESS": "1000000/minute", "EP_RATE_LIMIT_OVERALL": "1000000/second",
                       "EP_HASHING_CONCURRENCY": "16", "EP_RESET_LINK_EVERY_SECONDS": "0"}


def running_stack(service_env: dict, tmp_path_factory, name: str = "logs", process_env: dict | None = None):
    """Generator: the seeded system on ``service_env`` (its vhost, databases, secret), stopped at the end;
    ``process_env``: {program: overrides} (devtools.stack.Stack)."""
    ports = {"web_port": free_port(), "smtp_port": free_port(), "mail_http_port": free_port()}
    env = {
        **service_env,
        "EP_SECRET_KEY": "t" * 48,
        "EP_BASE_URL": f"http://127.0.0.1:{ports['web_port']}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(ports["smtp_port"]),
        "EP_MAILCATCHER_URL": f"http://127.0.0.1:{ports['mail_http_port']}",
        "EP_RPC_TIMEOUT": "3",
        "EP_UPLOAD_TIMEOUT": "10",                 # small test files; a stopped service is noticed sooner
        "EP_MAINTENANCE_CACHE_SECONDS": "0",       # a window scheduled by a test shows at once
        "EP_NOTIFIER_SWEEP_SECONDS": "2",          # notices and newsletters within the test's patience
        **LIFTED_FLOOD_LIMITS,                # every test signs in from 127.0.0.1 (tests/test_rate_limits.py)
    }
    for service in ("accounts", "requests"):
        subprocess.run([sys.executable, "-m", f"services.{service}.seed"], cwd=REPO_ROOT, check=True,
                       env={**os.environ, **env}, capture_output=True)
    if name == "logs":                       # the main system: the browser helpers' demo codes
        from tests import helpers

        helpers.STACK["accounts_database_url"] = env["ACCOUNTS_DATABASE_URL"]
    running = Stack(env, tmp_path_factory.mktemp(name), process_env=process_env, **ports)
    try:
        running.start()
        yield running
    finally:
        running.stop()


def web_app(stack: Stack, overrides: dict | None = None):
    """Generator: the Flask app in this process, talking to ``stack``'s services."""
    saved = dict(os.environ)
    os.environ.update(stack.env)
    try:
        from services.web.app import create_app

        # TEST_…: which database the demo codes' replay guard is reset in (tests/helpers.second_factor_code).
        application = create_app({"TESTING": True, "TEST_ACCOUNTS_DATABASE_URL": stack.env["ACCOUNTS_DATABASE_URL"],
                                  **(overrides or {})})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    yield application
    application.extensions["session_listener"].stop()
    application.extensions["services"].client.close()


@pytest.fixture(scope="session")
def stack(service_env, tmp_path_factory):
    yield from running_stack(service_env, tmp_path_factory)


@pytest.fixture(scope="session")
def app(stack):
    """The Flask app in this process, talking to the running services."""
    yield from web_app(stack)


@pytest.fixture
def client(app):
    return app.test_client()


class Mailbox:
    def __init__(self, base_url):
        self.url = f"{base_url}/api/messages"

    def messages(self):
        return json.load(urllib.request.urlopen(self.url, timeout=5))

    def wait_for(self, recipient, timeout=20, after=0, containing=""):
        """The latest email to ``recipient`` (whose subject holds ``containing``) among
        those captured after the first ``after``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.messages()[after:] if recipient in m["to"] and containing in m["subject"]]
            if found:
                return found[-1]
            time.sleep(0.2)
        raise AssertionError(f"no email to {recipient} within {timeout}s")


@pytest.fixture
def mailbox(stack):
    return Mailbox(stack.env["EP_MAILCATCHER_URL"])
