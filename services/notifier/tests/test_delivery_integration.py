"""The notifier in a real container on the real RabbitMQ, delivering to a real
SMTP server (the mail catcher, as a separate process)."""
import json
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook

from contracts import events
from devtools.stack import REPO_ROOT, free_port, wait_for_port
from services.notifier.service import NotifierService

pytestmark = [pytest.mark.integration, pytest.mark.db]


@pytest.fixture
def mailcatcher():
    smtp, http = free_port(), free_port()
    process = subprocess.Popen([sys.executable, "-m", "devtools.mailcatcher", "--smtp-port", str(smtp),
                                "--http-port", str(http)], cwd=REPO_ROOT)
    wait_for_port(http)
    wait_for_port(smtp)
    yield smtp, f"http://127.0.0.1:{http}/api/messages"
    process.terminate()
    process.wait(10)


def captured(url):
    return json.load(urllib.request.urlopen(url, timeout=5))


def wait_for_mail(url, count, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = captured(url)
        if len(messages) >= count:
            return messages
        time.sleep(0.2)
    raise AssertionError(f"expected {count} emails, got {len(captured(url))}")


@pytest.fixture
def notifier(service_env, mailcatcher, monkeypatch):
    smtp_port, _ = mailcatcher
    for key, value in {**service_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
                       "EP_BASE_URL": "https://partenaires.example.test"}.items():
        monkeypatch.setenv(key, value)
    container = ServiceContainer(NotifierService, {"AMQP_URI": service_env["AMQP_URI"]})
    container.start()
    yield container
    container.stop()


def test_event_redelivered_twice_yields_one_email_over_smtp(notifier, mailcatcher, service_env):
    _, url = mailcatcher
    payload = {"event_id": str(uuid.uuid4()), "email": "inès.berthier@ccas.example.test", "first_name": "Inès",
               "last_name": "Berthier", "token": "jeton-de-test", "expires_at": "2026-11-21T10:00:00Z"}
    dispatch = event_dispatcher({"AMQP_URI": service_env["AMQP_URI"]})
    dispatch(events.ACCOUNTS, events.PASSWORD_RESET_REQUESTED, payload)
    dispatch(events.ACCOUNTS, events.PASSWORD_RESET_REQUESTED, payload)   # at-least-once delivery

    [message] = wait_for_mail(url, 1)
    time.sleep(2)                                                          # a second one would have come by now
    assert len(captured(url)) == 1
    assert message["to"] == [payload["email"]]
    assert message["subject"] == "Espace Partenaires : réinitialisation de votre mot de passe"
    assert "https://partenaires.example.test/mot-de-passe/nouveau/jeton-de-test" in message["text"]
    assert "21/11/2026 à 11:00" in message["text"]                        # Paris time
    assert 'href="https://partenaires.example.test/mot-de-passe/nouveau/jeton-de-test"' in message["html"]


def test_health_over_entrypoint(notifier):
    with entrypoint_hook(notifier, "health") as health:
        assert health()["status"] == "ok"
