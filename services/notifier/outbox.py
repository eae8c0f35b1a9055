"""The outbox: enqueue once per idempotency key, deliver with retries.

Delivery claims a message with a short lease before talking to SMTP, so two
notifier instances never send the same message at the same time, and a
notifier killed mid-send releases it when the lease runs out.
"""
import smtplib
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.notifier.models import OutboxMessage, utcnow

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8


def enqueue(session: Session, key: str, kind: str, recipient: str, subject: str, text: str, html: str) -> bool:
    """True when queued, False when that key was queued already."""
    session.add(OutboxMessage(idempotency_key=key, kind=kind, recipient=recipient, subject=subject,
                              body_text=text, body_html=html))
    try:
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts * 5, 3600))


def _claim(session: Session, message_id: int) -> bool:
    now = utcnow()
    claimed = session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued",
               sa.or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
        .values(locked_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
    ).rowcount
    session.commit()
    return claimed == 1


def deliver_due(session: Session, mailer, batch: int = 50) -> int:
    """Send what is due; return how many were sent."""
    now = utcnow()
    due = session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now,
               sa.or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
        .order_by(OutboxMessage.id).limit(batch)
    ).all()
    sent = 0
    for message_id in due:
        if not _claim(session, message_id):
            continue
        message = session.get(OutboxMessage, message_id)
        try:
            mailer.send(message)
        except smtplib.SMTPResponseException as exc:
            _failed(message, f"{exc.smtp_code} {exc.smtp_error!r}", permanent=500 <= exc.smtp_code < 600)
        except (smtplib.SMTPException, OSError) as exc:
            _failed(message, repr(exc), permanent=False)
        else:
            message.status, message.sent_at, message.last_error = "sent", utcnow(), None
            sent += 1
        message.locked_until = None
        session.commit()
    return sent


def _failed(message: OutboxMessage, error: str, permanent: bool) -> None:
    message.last_error = error[:500]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
    else:
        message.next_attempt_at = utcnow() + backoff(message.attempts)
