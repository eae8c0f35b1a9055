"""The producer side of every event: written with the change, relayed until the broker takes it.

Why an outbox rather than declaring the notifier's queues from the producers:
declaring someone else's queues ties each producer to the consumer's handler
names (``evt-<source>-<type>--notifier.<method>``), and it would still lose an
event when the process dies between its database commit and its publish, or
when the broker is briefly away. Here each event is a row of the producing
service's own ``event_outbox`` table, added to the session by the domain
code's ``emit.append`` and so committed (or rolled back) with the state change
that caused it. A relay then publishes each row with publisher confirms and
``mandatory=True`` and deletes it only once the broker has routed it to at
least one queue; an unroutable event (no consumer queue declared yet on a
fresh broker), a nack or a lost connection leaves the row for the next try,
with a growing delay. Delivery is at least once: a crash between publish and
delete publishes again, and the consumer's idempotency key (derived from the
payload's ``event_id``) drops the repeat.

Each row keeps the correlation id of the worker that emitted it (contracts/logs.py: the web request's)
and is published with it as the ``nameko.correlation_id`` header: the consumer's worker logs under it.

The relay runs right after the RPC that emitted (its own rows, for latency)
and on each service's timer (everything due, for what failed or was left by a
crash). Rows are claimed with a short lease, so two instances never publish
the same row at the same time.
"""
import json
import logging
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from nameko.standalone.events import get_event_exchange
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from contracts import logs

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
BATCH = 200


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class EventOutboxColumns:
    """Mixed into each producing service's declarative Base as ``EventOutbox``."""

    __tablename__ = "event_outbox"

    @declared_attr.directive
    def __table_args__(cls):
        return (sa.Index("ix_event_outbox_due", "next_attempt_at"),)     # one Index object per service's table

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[str] = mapped_column(sa.Text)                 # JSON
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    correlation_id: Mapped[str | None] = mapped_column(sa.String(64))      # migration 0021


class Emit(list):
    """The domain code's ``emit`` list: each ``append((event_type, payload))`` also adds the
    outbox row to the session, so the event commits or rolls back with the change."""

    def __init__(self, session: Session, model):
        super().__init__()
        self.session, self.model, self.rows = session, model, []

    def append(self, item) -> None:
        event_type, payload = item
        row = self.model(event_type=event_type, payload=json.dumps(payload), correlation_id=logs.current())
        self.session.add(row)
        self.rows.append(row)
        super().append(item)


def backlog(session: Session, model, *pending) -> tuple[int, float | None]:
    """Rows of an outbox table ``model`` still to send (those matching ``pending``; every row when none):
    how many, and the oldest one's age in seconds (None when none). The supervision screen and the
    metrics gauges read it."""
    count, oldest = session.execute(sa.select(sa.func.count(), sa.func.min(model.created_at)).where(*pending)).one()
    return count, (utcnow() - oldest).total_seconds() if oldest is not None else None


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempts, 300))


def relay(session: Session, model, publish, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Publish due rows (only ``ids`` when given) through ``publish(event_type, payload, correlation_id=…)``;
    return how many the broker took. A failure keeps the row for later."""
    now = now or utcnow()
    due = sa.select(model.id).where(model.next_attempt_at <= now,
                                    sa.or_(model.locked_until.is_(None), model.locked_until < now))
    if ids is not None:
        due = due.where(model.id.in_(ids))
    published = 0
    for row_id in session.scalars(due.order_by(model.id).limit(BATCH)).all():
        claimed = session.execute(
            sa.update(model).where(model.id == row_id,
                                   sa.or_(model.locked_until.is_(None), model.locked_until < now))
            .values(locked_until=now + LEASE, attempts=model.attempts + 1)).rowcount
        session.commit()
        if claimed != 1:
            continue                                    # another worker or instance has it
        row = session.get(model, row_id)
        try:
            publish(row.event_type, json.loads(row.payload), correlation_id=row.correlation_id)
        except UndeliverableMessage:
            _later(row, "aucune file ne reçoit cet événement (consommateur jamais démarré ?)", now)
        except Exception as exc:                        # broker away, nack, lost connection: try again later
            log.warning("event %s not published: %r", row_id, exc)
            _later(row, repr(exc), now)
        else:
            session.delete(row)
            published += 1
        session.commit()
    return published


def _later(row, error: str, now: datetime) -> None:
    row.last_error = error[:500]
    row.locked_until = None
    row.next_attempt_at = now + backoff(row.attempts)


def event_publisher(amqp_uri: str, service_name: str, config: dict | None = None):
    """``publish(event_type, payload)`` on ``<service>.events``, as nameko's EventDispatcher
    would, but confirmed and mandatory: raises UndeliverableMessage when nothing is bound."""
    exchange = get_event_exchange(service_name, config or {})
    publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True, serializer="json", declare=[exchange],
                          retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5})

    def publish(event_type: str, payload: dict, correlation_id: str | None = None) -> None:
        headers = {f"nameko.{logs.CONTEXT_KEY}": correlation_id} if correlation_id else {}
        publisher.publish(payload, exchange=exchange, routing_key=event_type, headers=headers)

    return publish


class Relay:
    def __init__(self, model, publish):
        self.model, self.publish = model, publish

    def send(self, session: Session, emitted: Emit | None = None) -> int:
        """After a commit: this worker's rows (``emitted``), or everything due (timer)."""
        if emitted is not None:
            ids = [row.id for row in emitted.rows if row.id is not None]
            return relay(session, self.model, self.publish, ids) if ids else 0
        return relay(session, self.model, self.publish)


class EventRelay(DependencyProvider):
    """``self.relay`` in a producing service: ``send(session, emitted)`` after the domain commit,
    ``send(session)`` on a timer."""

    def __init__(self, model):
        self.model = model

    def setup(self):
        config = self.container.config
        self.publish = event_publisher(config["AMQP_URI"], self.container.service_name, config)

    def get_dependency(self, worker_ctx) -> Relay:
        return Relay(self.model, self.publish)


def create_table(op) -> None:
    """The 0004 migration of accounts and of requests (frozen: a later change gets its own migration)."""
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_event_outbox_due", "event_outbox", ["next_attempt_at"], unique=False)


def drop_table(op) -> None:
    op.drop_index("ix_event_outbox_due", table_name="event_outbox")
    op.drop_table("event_outbox")


def add_correlation_column(op) -> None:
    """The 0021 migration of accounts and of requests (frozen, as create_table)."""
    with op.batch_alter_table("event_outbox") as batch:
        batch.add_column(sa.Column("correlation_id", sa.String(length=64), nullable=True))


def drop_correlation_column(op) -> None:
    with op.batch_alter_table("event_outbox") as batch:
        batch.drop_column("correlation_id")


class WorkerEvents(Emit):
    """``self.events`` in a worker: the domain code appends to it; its rows sit in the worker's own
    database session (resolved when first used), and are relayed once the entrypoint returns."""

    def __init__(self, worker_ctx, model, relay: Relay, db_attribute: str):
        list.__init__(self)
        self.worker_ctx, self.model, self.relay, self.db_attribute, self.rows = \
            worker_ctx, model, relay, db_attribute, []

    @property
    def session(self) -> Session:
        return getattr(self.worker_ctx.service, self.db_attribute)

    def publish(self) -> int:
        """Now (a sweep publishes after each of its steps): what was appended and committed so far."""
        sent = self.relay.send(self.session, self) if self.rows else 0
        self.clear()
        self.rows = []
        return sent

    def publish_due(self) -> int:
        """Everything due, this worker's or not (the relay timer: a broker that was away, a crash)."""
        return self.relay.send(self.session)


class Events(EventRelay):
    """A producing service's ``events = Events(EventOutbox)``: entrypoints hand ``self.events``
    to the domain code as its ``emit``, and it relays on its own after the entrypoint, so an
    entrypoint says only what it does. Rows rolled back with a refused change are never published."""

    def __init__(self, model, db_attribute: str = "db"):
        super().__init__(model)
        self.db_attribute = db_attribute

    def get_dependency(self, worker_ctx) -> WorkerEvents:
        return WorkerEvents(worker_ctx, self.model, Relay(self.model, self.publish), self.db_attribute)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        emitted = getattr(worker_ctx.service, self.attr_name, None)
        # A refused call: its rows went with the rollback, and ids the database hands out again must not
        # be taken for them; what it committed before refusing (a failed attempt counted) the timer relays.
        if exc_info is not None or not isinstance(emitted, WorkerEvents) or not emitted.rows:
            return
        try:
            emitted.publish()
        except Exception as exc:                  # the relay timer tries again; the answer stands
            log.warning("events of %s not relayed now: %r", worker_ctx.entrypoint.method_name, exc)


class RelaysEvents:
    """Mixed into a producing service: the relay timer for what an entrypoint could not publish
    (broker away, no consumer queue yet, crash). Named ``event_outbox.RelaysEvents`` in a service
    module: `nameko run <module>` would take the class itself, with its timer, for a service."""

    @timer(interval=1)
    def relay_events(self):
        self.events.publish_due()
