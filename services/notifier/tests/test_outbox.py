"""The outbox on a real migrated database; the SMTP side is a stand-in mailer
here (unit tests of the retry rules). Real SMTP: test_delivery_integration."""
import smtplib

import pytest

from services.notifier import outbox
from services.notifier.models import OutboxMessage, utcnow

pytestmark = pytest.mark.db


class RecordingMailer:
    def __init__(self, error=None):
        self.sent, self.error = [], error

    def send(self, message):
        if self.error:
            raise self.error
        self.sent.append(message.idempotency_key)


@pytest.fixture
def session(migrated_session):
    return migrated_session("notifier")


def queue(session, key="evt:1"):
    return outbox.enqueue(session, key, "password_reset", "a@b.test", "Objet", "texte", "<p>html</p>")


def test_same_key_is_queued_once(session):
    assert queue(session) is True
    assert queue(session) is False
    assert session.query(OutboxMessage).count() == 1


def test_due_messages_are_sent_once(session):
    queue(session, "evt:1"), queue(session, "evt:2")
    mailer = RecordingMailer()
    assert outbox.deliver_due(session, mailer) == 2
    assert outbox.deliver_due(session, mailer) == 0
    assert mailer.sent == ["evt:1", "evt:2"]
    assert {m.status for m in session.query(OutboxMessage)} == {"sent"}


def test_temporary_failure_is_retried_later_with_backoff(session):
    queue(session)
    outbox.deliver_due(session, RecordingMailer(smtplib.SMTPServerDisconnected("down")))
    message = session.query(OutboxMessage).one()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.next_attempt_at > utcnow()
    assert "down" in message.last_error
    assert outbox.deliver_due(session, RecordingMailer()) == 0        # not due yet


def test_permanent_failure_is_not_retried(session):
    queue(session)
    outbox.deliver_due(session, RecordingMailer(smtplib.SMTPRecipientsRefused({"a@b.test": (550, b"no such user")})))
    # SMTPRecipientsRefused carries no single code: treated as temporary; a 5xx response is permanent:
    outbox.deliver_due(session, RecordingMailer())
    session.query(OutboxMessage).update({"status": "queued", "next_attempt_at": utcnow(), "sent_at": None})
    session.commit()
    outbox.deliver_due(session, RecordingMailer(smtplib.SMTPDataError(554, b"rejected")))
    message = session.query(OutboxMessage).one()
    assert message.status == "failed"
    assert message.last_error.startswith("554")


def test_backoff_grows_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    assert outbox.backoff(30).total_seconds() == 3600
