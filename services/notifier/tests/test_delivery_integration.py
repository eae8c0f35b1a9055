"""The notifier in a real container on the real RabbitMQ, delivering to a real
SMTP server (the mail catcher, as a separate process)."""
import json
import subprocess
import time
import urllib.request
import uuid
from urllib.parse import unquote, urlsplit

import pytest
import sqlalchemy as sa
from nameko.containers import ServiceContainer
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook

from contracts import events
from services.common.db import make_engine
from services.notifier.models import OutboxMessage
from services.notifier.service import NotifierService

pytestmark = [pytest.mark.integration, pytest.mark.db]


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


def wait_until_handled(amqp_uri, timeout=20):
    """Until every event queue of the vhost is empty and acknowledged. nameko acks
    an event once its handler has returned, so any outbox row it was going to
    write is written: no sleeping "long enough" for an email that must not come."""
    vhost = unquote(urlsplit(amqp_uri).path[1:])
    deadline = time.monotonic() + timeout
    while True:
        listed = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "--no-table-headers",
                                 "name", "messages"], check=True, capture_output=True, text=True).stdout
        pending = {name: int(count) for name, count in (line.split() for line in listed.splitlines())
                   if name.startswith("evt-")}
        if pending and not any(pending.values()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"events still pending: {pending}")
        time.sleep(0.1)


@pytest.fixture
def outbox_rows(database_urls):
    """Outbox rows whose key starts with the given prefix, read from the notifier's real database."""
    engine = make_engine(database_urls["notifier"])

    def rows(key_prefix):
        with engine.connect() as conn:
            return conn.execute(sa.select(OutboxMessage.recipient).where(
                OutboxMessage.idempotency_key.startswith(key_prefix)).order_by(OutboxMessage.id)).all()

    yield rows
    engine.dispose()


@pytest.fixture
def catcher(mailcatcher):
    """(SMTP port, messages URL) of the mail catcher."""
    return mailcatcher.smtp_port, f"{mailcatcher.api}/messages"


@pytest.fixture
def notifier(service_env, catcher, monkeypatch):
    smtp_port, _ = catcher
    for key, value in {**service_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
                       "EP_BASE_URL": "https://partenaires.example.test"}.items():
        monkeypatch.setenv(key, value)
    container = ServiceContainer(NotifierService, {"AMQP_URI": service_env["AMQP_URI"]})
    container.start()
    yield container
    container.stop()


def person(email, first_name, last_name):
    return {"email": email, "first_name": first_name, "last_name": last_name}


def test_event_redelivered_twice_yields_one_email_over_smtp(notifier, catcher, service_env, outbox_rows):
    _, url = catcher
    payload = {"event_id": str(uuid.uuid4()), "recipients": [person("inès.berthier@ccas.example.test", "Inès",
                                                                    "Berthier")],
               "token": "jeton-de-test", "expires_at": "2026-11-21T10:00:00Z"}
    dispatch = event_dispatcher({"AMQP_URI": service_env["AMQP_URI"]})
    dispatch(events.ACCOUNTS, events.PASSWORD_RESET_REQUESTED, payload)
    dispatch(events.ACCOUNTS, events.PASSWORD_RESET_REQUESTED, payload)   # at-least-once delivery

    [message] = wait_for_mail(url, 1)
    wait_until_handled(service_env["AMQP_URI"])                            # both deliveries handled...
    assert len(outbox_rows(f"{events.PASSWORD_RESET_REQUESTED}:{payload['event_id']}:")) == 1   # ...one row
    assert len(captured(url)) == 1
    assert message["to"] == ["inès.berthier@ccas.example.test"]
    assert message["subject"] == "Espace Partenaires : réinitialisation de votre mot de passe"
    assert message["text"].startswith("Bonjour Inès Berthier,")
    assert "https://partenaires.example.test/mot-de-passe/nouveau/jeton-de-test" in message["text"]
    assert "21/11/2026 à 11:00" in message["text"]                        # Paris time
    assert 'href="https://partenaires.example.test/mot-de-passe/nouveau/jeton-de-test"' in message["html"]


def test_fraud_inactivation_reaches_every_gestionnaire_once(notifier, catcher, service_env, outbox_rows):
    _, url = catcher
    payload = {"event_id": str(uuid.uuid4()),
               "recipients": [person("anne.aubert@ccas.example.test", "Anne", "Aubert"),
                              person("Bruno.Caron@CCAS.example.test", "Bruno", "Caron")],
               "account_name": "Paul Martin", "reason_label": "suspicion de fraude", "partner_name": "CCAS d'Essai"}
    dispatch = event_dispatcher({"AMQP_URI": service_env["AMQP_URI"]})
    dispatch(events.ACCOUNTS, events.FRAUD_INACTIVATION, payload)

    messages = wait_for_mail(url, 2)
    assert sorted(m["to"] for m in messages) == [["Bruno.Caron@CCAS.example.test"], ["anne.aubert@ccas.example.test"]]
    for message in messages:
        assert message["subject"] == "Espace Partenaires : inactivation immédiate d'un compte de votre structure"
        assert "le compte Espace Partenaires de Paul Martin (CCAS d'Essai)" in message["text"]
        assert "suspicion de fraude" in message["html"]
    assert {m["text"].splitlines()[0] for m in messages} == {"Bonjour Anne Aubert,", "Bonjour Bruno Caron,"}

    dispatch(events.ACCOUNTS, events.FRAUD_INACTIVATION, payload)          # redelivered
    wait_until_handled(service_env["AMQP_URI"])
    assert [row.recipient for row in outbox_rows(f"{events.FRAUD_INACTIVATION}:{payload['event_id']}:")] == [
        "anne.aubert@ccas.example.test", "Bruno.Caron@CCAS.example.test"]
    assert len(captured(url)) == 2


def test_health_over_entrypoint(notifier):
    with entrypoint_hook(notifier, "health") as health:
        assert health()["status"] == "ok"
