from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.sweep_runs import SweepRunColumns


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class OutboxMessage(Base):
    """An email to deliver, and its delivery log. Written before any SMTP attempt, keyed by
    what caused it, so a redelivered event or a second sweep never makes a second email."""

    __tablename__ = "outbox_message"
    # The delivery log filtered by status, newest first: merged with the caisse's (caisse_code, message_id)
    # index, a page reads the status's few newest rows instead of the whole log (issue 17, point 2).
    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),
                      sa.Index("ix_outbox_status_id", "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(400), unique=True)   # "<event type>:<event_id>:<email>"
    kind: Mapped[str] = mapped_column(sa.String(40))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    recipient_name: Mapped[str] = mapped_column(sa.String(170), default="")
    account_id: Mapped[int | None]
    subject: Mapped[str] = mapped_column(sa.String(200))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    headers: Mapped[str | None] = mapped_column(sa.Text)        # JSON: extra headers (List-Unsubscribe…)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")   # queued | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    correlation_id: Mapped[str | None] = mapped_column(sa.String(64))   # the request that caused it (0021)


class MessageCaisse(Base):
    """The caisses the recipient belongs to: a caisse agent sees its users' emails."""

    __tablename__ = "message_caisse"
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox_message.id", ondelete="CASCADE"),
                                            primary_key=True)
    caisse_code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    __table_args__ = (sa.Index("ix_message_caisse_code", "caisse_code", "message_id"),)


class MessageResend(Base):
    """Who put a failed email back in the queue, and when."""

    __tablename__ = "message_resend"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox_message.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(sa.String(170), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    previous_error: Mapped[str | None] = mapped_column(sa.String(500))


class Maintenance(Base):
    """A maintenance window, for one caisse or all (``caisse_code`` None). Each change bumps
    ``version``: users already told are told again, once per version."""

    __tablename__ = "maintenance"
    __table_args__ = (sa.Index("ix_maintenance_ends", "ends_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    caisse_code: Mapped[str | None] = mapped_column(sa.String(8))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    message: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(10), default="scheduled")     # scheduled | cancelled
    version: Mapped[int] = mapped_column(default=1)
    notified_version: Mapped[int | None]          # last version whose notices are all queued
    notice_lease_until: Mapped[datetime | None]   # an instance is queueing notices
    created_by_id: Mapped[int | None]
    created_by_name: Mapped[str] = mapped_column(sa.String(170), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class News(Base):
    __tablename__ = "news"
    __table_args__ = (sa.Index("ix_news_caisse", "caisse_code", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    caisse_code: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    published_on: Mapped[date]
    author_id: Mapped[int | None]
    author_name: Mapped[str] = mapped_column(sa.String(170), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NewsletterSubscription(Base):
    """A person's choice for one caisse's newsletter. The one-click unsubscribe token is derived
    from the service secret and ``salt`` (services.notifier.news); only its SHA-256 is stored."""

    __tablename__ = "newsletter_subscription"
    __table_args__ = (sa.UniqueConstraint("account_id", "caisse_code", name="uq_subscription_account_caisse"),
                      sa.Index("ix_subscription_caisse", "caisse_code", "subscribed", "account_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int]
    caisse_code: Mapped[str] = mapped_column(sa.String(8))
    subscribed: Mapped[bool] = mapped_column(default=True)
    salt: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NewsletterDigest(Base):
    """One newsletter of a caisse: the news after the previous digest, up to ``last_news_id``.
    The unique pair is the claim: of two instances, one creates it."""

    __tablename__ = "newsletter_digest"
    __table_args__ = (sa.UniqueConstraint("caisse_code", "last_news_id", name="uq_digest_caisse_news"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    caisse_code: Mapped[str] = mapped_column(sa.String(8))
    first_news_id: Mapped[int]
    last_news_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]         # every subscriber's email queued
    lease_until: Mapped[datetime | None]


class SweepRun(SweepRunColumns, Base):
    """The last run of each scheduled sweep (services.common.sweep_runs), for the supervision screen."""
