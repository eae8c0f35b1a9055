"""The outbox: queue the emails of one cause together (once per idempotency key), deliver with retries.

Delivery claims a batch of messages with a lease (one conditional UPDATE) before talking
to SMTP, so two notifier instances never send the same message, and a notifier killed
mid-batch releases them when the lease runs out (their attempt counted). A batch shares one
SMTP session; its messages go in order (services.notifier.send_pipeline), each one's outcome
committed before the next one's end of data: a notifier killed at any moment leaves at most one
email, per instance, delivered but not recorded, which goes again when its lease runs out,
with the same Message-ID. A batch stops while its lease still outlasts one SMTP exchange and
puts back what it did not try.
"""
import json
import logging
import math
import smtplib
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from contracts import logs
from services.common.metrics import EMAILS
from services.notifier import send_pipeline, settings
from services.notifier.models import MessageCaisse, OutboxMessage, utcnow

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_TABLE = OutboxMessage.__table__
log = logging.getLogger(__name__)


@dataclass
class Mail:
    key: str
    kind: str
    recipient: str
    subject: str
    text: str
    html: str
    recipient_name: str = ""
    account_id: int | None = None
    caisses: list = field(default_factory=list)
    headers: dict | None = None


def enqueue_many(session: Session, mails: list[Mail], commit: bool = True) -> int:
    """Queue ``mails`` in one transaction: a key already queued is skipped (insert-or-skip,
    SQLite and PostgreSQL alike), so a cause handled twice yields each email once and a
    crash queues none or all. Returns how many were new."""
    if not mails:
        return 0
    insert = _INSERT[session.bind.dialect.name](_TABLE)
    rows = [{"idempotency_key": m.key, "kind": m.kind, "recipient": m.recipient, "subject": m.subject[:200],
             "body_text": m.text, "body_html": m.html, "recipient_name": m.recipient_name[:170],
             "account_id": m.account_id, "headers": json.dumps(m.headers) if m.headers else None,
             "status": "queued", "attempts": 0, "next_attempt_at": utcnow(), "created_at": utcnow(),
             "correlation_id": logs.current()} for m in mails]
    # Rows as parameters, not in the statement: compiled once and cached, sent in batches of many VALUES.
    inserted = session.execute(insert.on_conflict_do_nothing(index_elements=["idempotency_key"])
                               .returning(_TABLE.c.id, _TABLE.c.idempotency_key), rows).all()
    by_key = {m.key: m for m in mails}
    links = [{"message_id": message_id, "caisse_code": code}
             for message_id, key in inserted for code in sorted(set(by_key[key].caisses or []))]
    if links:
        session.execute(sa.insert(MessageCaisse).values(links))
    if commit:
        session.commit()
    return len(inserted)


def enqueue(session: Session, key: str, kind: str, recipient: str, subject: str, text: str, html: str) -> bool:
    """True when queued, False when that key was queued already."""
    return enqueue_many(session, [Mail(key, kind, recipient, subject, text, html)]) == 1


def queued_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` are already queued (to skip rendering them again)."""
    if not keys:
        return set()
    return set(session.scalars(sa.select(OutboxMessage.idempotency_key)
                               .where(OutboxMessage.idempotency_key.in_(keys))))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts * 5, 3600))


_SENDING = (_TABLE.c.id, _TABLE.c.idempotency_key, _TABLE.c.kind, _TABLE.c.recipient, _TABLE.c.subject,
            _TABLE.c.body_text, _TABLE.c.body_html, _TABLE.c.headers, _TABLE.c.attempts, _TABLE.c.next_attempt_at,
            _TABLE.c.correlation_id)      # what sending and recording need, not the whole row
_OUTCOME = (sa.update(_TABLE)
            .where(_TABLE.c.id == sa.bindparam("o_id"), _TABLE.c.locked_until == sa.bindparam("o_lease"))
            .values(status=sa.bindparam("o_status"), sent_at=sa.bindparam("o_sent_at"),
                    last_error=sa.bindparam("o_error"), next_attempt_at=sa.bindparam("o_next"), locked_until=sa.null()))
# On PostgreSQL the same statement, prepared for the batch ($1, $2… in the order of its parameters' names).
_OUTCOME_PG = _OUTCOME.compile(dialect=postgresql.dialect(paramstyle="numeric_dollar"))
_PREPARED = "outbox_outcome"


@contextmanager
def _recording(conn: sa.Connection):
    """The batch's way of committing outcomes (a list of values of _OUTCOME, one round trip for them all).
    On PostgreSQL, for the batch only, on its own connection, with one round trip at each end:
    - commits do not wait for the disk: a notifier killed mid-batch still finds every outcome; only a crash
      of PostgreSQL itself could forget the last few, and those emails would go twice, with the same
      Message-ID (receivers drop the duplicate);
    - the statement is prepared (parsed and planned once, not once per email) and run through the driver's
      cursor: in the notifier's green thread, SQLAlchemy's execution costs more than the statement."""
    if conn.dialect.name != "postgresql":
        yield lambda values: conn.execute(_OUTCOME, values)
        return
    names = _OUTCOME_PG.positiontup
    call = f"EXECUTE {_PREPARED} ({', '.join(['%s'] * len(names))})"
    driver = conn.connection.dbapi_connection

    def write(values):
        with driver.cursor() as cursor:
            cursor.execute(";".join([call] * len(values)), [outcome[name] for outcome in values for name in names])

    conn.exec_driver_sql(f"SET synchronous_commit TO OFF; PREPARE {_PREPARED} AS {_OUTCOME_PG}")
    try:
        yield write
    finally:
        try:
            conn.exec_driver_sql(f"RESET synchronous_commit; DEALLOCATE {_PREPARED}")
        except BaseException:
            conn.invalidate()       # never back in the pool with either
            raise


def _due(now: datetime):
    return sa.and_(_TABLE.c.status == "queued", _TABLE.c.next_attempt_at <= now,
                   sa.or_(_TABLE.c.locked_until.is_(None), _TABLE.c.locked_until < now))


def _claim(conn: sa.Connection, batch: int, now: datetime, lease_until: datetime) -> list:
    """Reserve up to ``batch`` due messages until ``lease_until``, in one transaction; their rows (the
    columns sending needs), in order. Two instances never claim the same message: each row is taken
    again only if it is still due when updated."""
    claim = sa.update(_TABLE).values(locked_until=lease_until, attempts=_TABLE.c.attempts + 1).returning(*_SENDING)
    due = sa.select(_TABLE.c.id).where(_due(now)).order_by(_TABLE.c.id).limit(batch)
    if conn.dialect.name == "postgresql":
        # One statement: the rows another instance is claiming are skipped, not waited for, and the due
        # ones are read once (a read then an update by ids read the due rows, dead versions included, twice).
        return sorted(conn.execute(claim.where(_TABLE.c.id.in_(due.with_for_update(skip_locked=True)
                                                               .scalar_subquery()))).all(), key=lambda row: row.id)
    for _ in range(3):
        # Of two instances that read the same ids, one claims them, the other reads again past them.
        ids = conn.scalars(due).all()
        if not ids:
            return []
        claimed = conn.execute(claim.where(_TABLE.c.id.in_(ids), _due(now))).all()
        if claimed:
            return sorted(claimed, key=lambda row: row.id)
    return []


def deliver_due(session: Session, mailer, batch: int = 50, now: datetime | None = None,
                until: float | None = None) -> int:
    """Send what is due, up to ``batch`` messages; return how many were sent. They are claimed
    together, sent in order over one SMTP session (services.notifier.send_pipeline: each built
    while the previous is on the wire, each outcome committed before the next email's end of data).
    No email starts after ``until`` (time.monotonic()) but the first: the rest of the batch is put back."""
    # One connection for the batch, outside the caller's session: no checkout (a ping on PostgreSQL)
    # per commit, no ORM state loaded or flushed. Each statement is its own transaction (a claim, an
    # outcome): one round trip, no BEGIN or COMMIT of its own.
    with session.get_bind().connect() as conn:
        return _deliver(conn.execution_options(isolation_level="AUTOCOMMIT"), mailer, batch, now or utcnow(),
                        until)


def _deliver(conn: sa.Connection, mailer, batch: int, now: datetime, until: float | None) -> int:
    lease = settings.delivery_lease()
    lease_until, claimed_at = now + lease, time.monotonic()
    claimed = _claim(conn, batch, now, lease_until)
    if not claimed:
        return 0
    # A claimed email is sent only while the lease outlasts one SMTP exchange (never taken over
    # mid-send), and before the caller's deadline.
    sending_until = min(claimed_at + (lease.total_seconds() - settings.smtp_timeout()), until or math.inf)
    sent = 0

    def record(outcomes):
        nonlocal sent
        values = [_outcome(row, error, now, lease_until) for row, error in outcomes]
        write(values)
        for (row, _), outcome in zip(outcomes, values):
            sent += outcome["o_status"] == "sent"
            _log(row, outcome)

    with _recording(conn) as write, _smtp_session(mailer) as smtp:
        prepare, transmit = _stages(smtp)
        untried, error = send_pipeline.run(claimed, prepare, transmit, record,
                                           may_send=lambda: time.monotonic() < sending_until)
    if untried:         # back in the queue now, their attempt not counted
        conn.execute(sa.update(_TABLE).where(_TABLE.c.id.in_([row.id for row in untried]),
                                             _TABLE.c.locked_until == lease_until)
                     .values(locked_until=None, attempts=_TABLE.c.attempts - 1))
    if error is not None:
        raise error
    return sent


def _smtp_session(mailer):
    """The batch shares one SMTP session, or the caller's (``mailer`` is one already: its round shares
    it); a mailer without sessions (a test double) sends one by one."""
    return mailer.session() if hasattr(mailer, "session") else nullcontext(mailer)


def _stages(smtp):
    """(prepare, transmit) of an SMTP session; a stand-in that only has send(message) is given its
    message as is, and sends once the previous outcome is committed, as the data of an email would."""
    if hasattr(smtp, "transmit"):
        return smtp.prepare, smtp.transmit

    def transmit(message, before_end):
        before_end()
        smtp.send(message)
    return (lambda message, pause: message), transmit


def _outcome(row, error: BaseException | None, now: datetime, lease_until: datetime) -> dict:
    """The values recorded for a message sent, or failed with ``error``."""
    values = {"o_id": row.id, "o_lease": lease_until, "o_status": "sent", "o_sent_at": utcnow(), "o_error": None,
              "o_next": row.next_attempt_at}
    if error is None:
        EMAILS.labels("sent").inc()
        return values
    if isinstance(error, smtplib.SMTPRecipientsRefused):        # one recipient per message: its own code
        code, reply = next(iter(error.recipients.values()), (0, b""))
        text, permanent = f"{code} {reply!r}", 500 <= code < 600
    elif isinstance(error, smtplib.SMTPResponseException):
        text, permanent = f"{error.smtp_code} {error.smtp_error!r}", 500 <= error.smtp_code < 600
    else:
        text, permanent = repr(error), False
    values.update(o_sent_at=None, o_error=text[:500])
    if permanent or row.attempts >= settings.MAX_ATTEMPTS:
        values["o_status"] = "failed"
        EMAILS.labels("failed").inc()
    else:
        values.update(o_status="queued", o_next=now + backoff(row.attempts))
        EMAILS.labels("retried").inc()
    return values


def _log(row, outcome: dict) -> None:
    # Under the id of the request that caused the email; the id and kind only (the address is personal data).
    sent = outcome["o_status"] == "sent"
    log.log(logging.INFO if sent else logging.WARNING, "email %s %s", row.id, "sent" if sent else "not sent",
            extra={"email_id": row.id, "kind": row.kind, "status": outcome["o_status"],
                   "attempts": row.attempts, "correlation_id": row.correlation_id})


def delivery_lease_seconds() -> float:
    return settings.delivery_lease().total_seconds()


FAILED_WINDOW = timedelta(hours=24)


def backlog(session: Session, caisse_codes: list[str] | None = None) -> dict:
    """The supervision screen's emails: waiting to be sent (how many, the oldest one's age in seconds)
    and failed among those made in the last 24 hours, for each caisse (``caisse_codes``, or every
    caisse an email went to: its users, by message_caisse); with ``caisse_codes`` None (the national
    admin) the same for all emails too, those to nobody's caisse (the national admin's) included."""
    since = utcnow() - FAILED_WINDOW
    queued = OutboxMessage.status == "queued"
    failed = sa.and_(OutboxMessage.status == "failed", OutboxMessage.created_at >= since)
    figures = (sa.func.count().filter(queued), sa.func.min(OutboxMessage.created_at).filter(queued),
               sa.func.count().filter(failed))

    def shaped(pending, oldest, failed_24h, **more):
        return {**more, "pending": pending, "failed_24h": failed_24h,
                "oldest_age_seconds": (utcnow() - oldest).total_seconds() if oldest is not None else None}

    per_caisse = sa.select(MessageCaisse.caisse_code, *figures).join(
        OutboxMessage, OutboxMessage.id == MessageCaisse.message_id).where(
        sa.or_(queued, failed)).group_by(MessageCaisse.caisse_code).order_by(MessageCaisse.caisse_code)
    if caisse_codes is not None:
        per_caisse = per_caisse.where(MessageCaisse.caisse_code.in_(caisse_codes))
    found = {code: shaped(*rest, caisse_code=code) for code, *rest in session.execute(per_caisse)}
    codes = caisse_codes if caisse_codes is not None else list(found)
    answer = {"emails": [found.get(code) or shaped(0, None, 0, caisse_code=code) for code in codes]}
    if caisse_codes is None:
        answer["all_emails"] = shaped(*session.execute(sa.select(*figures).where(sa.or_(queued, failed))).one())
    return answer
