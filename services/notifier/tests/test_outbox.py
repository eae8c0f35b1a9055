"""The outbox on a real migrated database; the SMTP side is a stand-in mailer
here (unit tests of the retry rules). Real SMTP: test_delivery_integration."""
import smtplib
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

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


class WireMailer:
    """An SMTP session's two stages (prepare, then transmit with the hook before the data); at each
    email's end of data it notes the statuses committed, as another connection reads them."""

    def __init__(self, engine, refuse=()):
        self.engine, self.refuse, self.committed = engine, refuse, []

    def session(self):
        from contextlib import nullcontext
        return nullcontext(self)

    def prepare(self, message, pause):
        pause()
        return message

    def transmit(self, message, before_end):
        if message.recipient in self.refuse:
            raise smtplib.SMTPRecipientsRefused({message.recipient: (450, b"plus tard")})
        before_end()
        with self.engine.connect() as conn:
            self.committed.append(Counter(conn.scalars(sa.select(OutboxMessage.status))))


def test_each_outcome_is_committed_before_the_next_email_end_of_data(session):
    outbox.enqueue_many(session, [outbox.Mail(f"evt:{n}", "password_reset", f"p{n}@b.test", "Objet", "t", "<p>h</p>")
                                  for n in range(8)])
    mailer = WireMailer(session.bind, refuse={"p3@b.test"})
    assert outbox.deliver_due(session, mailer) == 7
    # The k-th email's end of data goes with every earlier outcome committed (p3 refused at RCPT, retried later):
    # a notifier killed at any moment leaves at most one email delivered and not recorded.
    assert [c["sent"] for c in mailer.committed] == [0, 1, 2, 3, 4, 5, 6]
    assert [c["queued"] for c in mailer.committed] == [8, 7, 6, 5, 4, 3, 2]      # p3 stays queued


@pytest.mark.parametrize("stop", ["lease", "deadline"])
def test_a_batch_stops_before_its_lease_could_run_out_or_at_its_deadline_and_releases_the_rest(
        session, monkeypatch, stop):
    if stop == "lease":
        monkeypatch.setenv("EP_OUTBOX_LEASE_SECONDS", "10")
        monkeypatch.setenv("SMTP_TIMEOUT", "20")        # no email after the first outlasts the lease
    for n in range(3):
        queue(session, f"evt:{n}")
    mailer = RecordingMailer()

    def deliver():
        return outbox.deliver_due(session, mailer, until=time.monotonic() if stop == "deadline" else None)
    assert deliver() == 1
    rows = session.execute(sa.select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.locked_until)
                           .order_by(OutboxMessage.id)).all()
    assert rows == [("sent", 1, None), ("queued", 0, None), ("queued", 0, None)]     # released, attempt not counted
    assert deliver() == 1 and mailer.sent == ["evt:0", "evt:1"]


def test_backoff_grows_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    assert outbox.backoff(30).total_seconds() == 3600


def test_outcomes_written_together_are_each_recorded_once_and_only_under_their_lease(session):
    for n in range(3):
        queue(session, f"evt:{n}")
    now = utcnow()
    lease = now + outbox.settings.delivery_lease()
    with session.bind.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        first, second, third = outbox._claim(conn, 10, now, lease)
        with outbox._recording(conn) as write:
            write([outbox._outcome(first, None, now, lease),
                   outbox._outcome(second, smtplib.SMTPDataError(554, b"rejected"), now, lease),
                   outbox._outcome(third, None, now, lease + timedelta(seconds=1))])     # not its lease: no effect
    rows = session.execute(sa.select(OutboxMessage.status, OutboxMessage.locked_until.is_(None))
                           .order_by(OutboxMessage.id)).all()
    assert rows == [("sent", True), ("failed", True), ("queued", False)]


# Row locks and per-connection settings are PostgreSQL's (SQLite has one writer at a time).
@pytest.mark.postgresql
def test_a_claim_skips_the_rows_another_instance_is_claiming_instead_of_waiting(session):
    for n in range(3):
        queue(session, f"evt:{n}")
    first = session.scalars(sa.select(OutboxMessage.id).order_by(OutboxMessage.id)).first()
    with session.bind.connect() as other, session.bind.connect() as conn:
        other.execute(sa.select(OutboxMessage.id).where(OutboxMessage.id == first).with_for_update())  # mid-claim
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("SET lock_timeout = '5s'")      # waiting would fail the test, not hang it
        now = utcnow()
        claimed = outbox._claim(conn, 10, now, now + timedelta(minutes=5))
        assert [row.idempotency_key for row in claimed] == ["evt:1", "evt:2"]
        other.rollback()


@pytest.mark.postgresql
def test_a_batch_gives_its_connection_back_without_its_prepared_statement_or_settings(migrated_session):
    session = migrated_session("notifier")
    queue(session)
    engine = sa.create_engine(session.bind.url, poolclass=StaticPool)      # the batch's connection, then ours
    with Session(engine) as own:
        assert outbox.deliver_due(own, RecordingMailer()) == 1
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
        assert conn.exec_driver_sql("SELECT count(*) FROM pg_prepared_statements").scalar() == 0
    engine.dispose()
