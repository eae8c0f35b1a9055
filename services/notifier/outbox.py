"""The outbox: queue the emails of one cause together (once per idempotency key), deliver with retries.

Delivery claims a message with a lease before talking to SMTP, so two notifier
instances never send the same message at the same time, and a notifier killed
mid-send releases it when the lease runs out. A batch shares one SMTP session;
its messages go in order, each marked sent before the next starts: a notifier
killed mid-batch leaves at most the one in flight to send again.
"""
import json
import logging
import smtplib
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from contracts import logs
from services.common.metrics import EMAILS
from services.notifier import settings
from services.notifier.models import MessageCaisse, OutboxMessage, utcnow

_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
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
    insert = _INSERT[session.bind.dialect.name](OutboxMessage)
    rows = [{"idempotency_key": m.key, "kind": m.kind, "recipient": m.recipient, "subject": m.subject[:200],
             "body_text": m.text, "body_html": m.html, "recipient_name": m.recipient_name[:170],
             "account_id": m.account_id, "headers": json.dumps(m.headers) if m.headers else None,
             "status": "queued", "attempts": 0, "next_attempt_at": utcnow(), "created_at": utcnow(),
             "correlation_id": logs.current()} for m in mails]
    inserted = session.execute(insert.values(rows).on_conflict_do_nothing(index_elements=["idempotency_key"])
                               .returning(OutboxMessage.id, OutboxMessage.idempotency_key)).all()
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


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    """Reserve the message; the same commit records the previous message's outcome, so each
    message is marked sent before the next starts at one commit per message."""
    if session.bind.dialect.name == "postgresql":
        # Without waiting for the disk: a notifier killed mid-batch still finds every outcome; only
        # a crash of PostgreSQL itself could forget the last few, and those emails would go twice,
        # with the same Message-ID (receivers drop the duplicate).
        session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
    claimed = session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued",
               sa.or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
        .values(locked_until=now + settings.delivery_lease(), attempts=OutboxMessage.attempts + 1)
    ).rowcount
    session.commit()
    return claimed == 1


def deliver_due(session: Session, mailer, batch: int = 50, now: datetime | None = None) -> int:
    """Send what is due; return how many were sent."""
    now = now or utcnow()
    due = session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now,
               sa.or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
        .order_by(OutboxMessage.id).limit(batch)
    ).all()
    sent = 0
    with _smtp_session(mailer) as smtp:
        for message_id in due:
            sent += _deliver_one(session, smtp, message_id, now)
    session.commit()
    return sent


def _smtp_session(mailer):
    """The batch shares one SMTP session; a mailer without sessions (a test double) sends one by one."""
    return mailer.session() if hasattr(mailer, "session") else nullcontext(mailer)


def _deliver_one(session: Session, smtp, message_id: int, now: datetime) -> int:
    if not _claim(session, message_id, now):
        return 0
    message = session.get(OutboxMessage, message_id)
    sent = 0
    try:
        smtp.send(message)
    except smtplib.SMTPRecipientsRefused as exc:        # one recipient per message: its own code
        code, reply = next(iter(exc.recipients.values()), (0, b""))
        _failed(message, f"{code} {reply!r}", permanent=500 <= code < 600, now=now)
    except smtplib.SMTPResponseException as exc:
        _failed(message, f"{exc.smtp_code} {exc.smtp_error!r}", permanent=500 <= exc.smtp_code < 600, now=now)
    except (smtplib.SMTPException, OSError) as exc:
        _failed(message, repr(exc), permanent=False, now=now)
    else:
        message.status, message.sent_at, message.last_error = "sent", utcnow(), None
        EMAILS.labels("sent").inc()
        sent = 1
    message.locked_until = None         # committed with the next claim, or at the end of the batch
    # Under the id of the request that caused the email; the id and kind only (the address is personal data).
    log.log(logging.INFO if sent else logging.WARNING, "email %s %s", message.id, "sent" if sent else "not sent",
            extra={"email_id": message.id, "kind": message.kind, "status": message.status,
                   "attempts": message.attempts, "correlation_id": message.correlation_id})
    return sent


def _failed(message: OutboxMessage, error: str, permanent: bool, now: datetime) -> None:
    message.last_error = error[:500]
    if permanent or message.attempts >= settings.MAX_ATTEMPTS:
        message.status = "failed"
        EMAILS.labels("failed").inc()
    else:
        message.next_attempt_at = now + backoff(message.attempts)
        EMAILS.labels("retried").inc()


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
