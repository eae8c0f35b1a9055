"""Fixtures of the notifier tests: a real SMTP server (the mail catcher, as a separate
process), the notifier's migrated database, and workers acting as a signed identity."""
import json
import subprocess
import sys
import time
import urllib.request

import pytest
from nameko.testing.services import worker_factory

from contracts import identity
from devtools.stack import REPO_ROOT, free_port, wait_for_port
from services.common.caller import CallerIdentity
from services.conftest import WORKER_AUD
from services.notifier.service import NotifierService

SECRET = "n" * 40
WHO = {   # identities as the web signs them
    "admin": {"id": 1, "profile": "admin_national", "first_name": "Alice", "last_name": "National"},
    "agent_999": {"id": 2, "profile": "agent_caisse", "caisse_code": "999", "first_name": "Claire",
                  "last_name": "Dumoulin"},
    "agent_998": {"id": 3, "profile": "agent_caisse", "caisse_code": "998", "first_name": "Karim",
                  "last_name": "Delaunay"},
    "tech_a": {"id": 5, "profile": "technicien", "partner_id": 1,
               "caisses": [{"code": "999", "features": ["actualites"]}],
               "first_name": "Hugo", "last_name": "Lambertin", "email": "technicien@ccas-saint-exemple.test"},
    "tech_b": {"id": 9, "profile": "technicien", "partner_id": 2, "first_name": "Yanis", "last_name": "Morel",
               "caisses": [{"code": "999", "features": ["actualites"]}, {"code": "998", "features": ["actualites"]}]},
}


class MailCatcher:
    """devtools.mailcatcher in its own process, read and steered through its HTTP API."""

    def __init__(self):
        self.smtp_port, self.http_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.http_port}/api"
        self.process = None

    def start(self):
        self.process = subprocess.Popen([sys.executable, "-m", "devtools.mailcatcher", "--smtp-port",
                                         str(self.smtp_port), "--http-port", str(self.http_port)], cwd=REPO_ROOT)
        wait_for_port(self.http_port)
        wait_for_port(self.smtp_port)
        return self

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def _call(self, path, body=None):
        request = urllib.request.Request(f"{self.api}/{path}", method="POST" if body is not None else "GET",
                                         data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def messages(self):
        return self._call("messages")

    def hold(self, after: int):
        self._call("hold", {"after": after})

    def release(self):
        self._call("release", {})

    def waiting(self) -> int:
        return self._call("state")["waiting"]

    def wait_for(self, count: int, timeout: float = 30):
        """At least ``count`` messages (a bound on waiting, never a pass/fail threshold on speed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.messages()
            if len(messages) >= count:
                return messages
            time.sleep(0.1)
        raise AssertionError(f"expected {count} emails, got {len(self.messages())}")


@pytest.fixture
def mailcatcher():
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture
def db(migrated_session):
    return migrated_session("notifier")


@pytest.fixture
def as_(db):
    """as_(role) -> a NotifierService worker on the real database acting as that identity
    (anonymous without a role); ``worker.services`` is the accounts stand-in."""
    def make(role=None, **overrides):
        token = identity.sign({**WHO[role], **overrides}, SECRET, WORKER_AUD) if role else None
        return worker_factory(NotifierService, db=db, caller=CallerIdentity(token, SECRET, WORKER_AUD), mailer=None)
    return make
