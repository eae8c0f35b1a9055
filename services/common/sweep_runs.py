"""When each scheduled sweep of a service last ran, for the supervision screen: one row per kind of
sweep in the service's own ``sweep_run`` table (the last run only: when, how long, how it ended,
which instance). Written by ``recorded`` around the sweep's timer method, whatever its outcome;
read by ``last_runs``. The error is the exception's type only: its message may quote personal data."""
import functools
import logging
import time
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.common.config import instance_id
from services.common.db import brief_lock_wait
from services.common.event_outbox import utcnow

log = logging.getLogger(__name__)
OK, FAILED = "ok", "failed"


class SweepRunColumns:
    """Mixed into each service's declarative Base as ``SweepRun``."""

    __tablename__ = "sweep_run"

    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    started_at: Mapped[datetime]
    duration_seconds: Mapped[float] = mapped_column(sa.Float)
    outcome: Mapped[str] = mapped_column(sa.String(10))          # ok | failed
    error: Mapped[str | None] = mapped_column(sa.String(100))    # the exception's type
    instance: Mapped[str] = mapped_column(sa.String(100))


def recorded(model, kind: str, db_attribute: str = "db"):
    """Decorates a sweep's timer method (under ``@timer``): its run is recorded, and an exception
    goes on as before (nameko logs it, the next tick runs again)."""
    def decorator(method):
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            started, began = utcnow(), time.monotonic()
            try:
                result = method(self, *args, **kwargs)
            except Exception as exc:
                record(getattr(self, db_attribute), model, kind, started, time.monotonic() - began, FAILED,
                       type(exc).__name__)
                raise
            record(getattr(self, db_attribute), model, kind, started, time.monotonic() - began, OK)
            return result
        return run
    return decorator


def record(session: Session, model, kind: str, started: datetime, seconds: float, outcome: str,
           error: str | None = None) -> None:
    """The last run of ``kind``, replacing the previous one; never fails the sweep."""
    values = {"started_at": started, "duration_seconds": round(seconds, 3), "outcome": outcome,
              "error": error, "instance": instance_id()[:100]}
    try:
        session.rollback()                  # a failed sweep may have left its transaction broken
        with brief_lock_wait(session):      # a busy database skips this row rather than freeze the service
            if session.execute(sa.update(model).where(model.kind == kind).values(**values)).rowcount == 0:
                session.add(model(kind=kind, **values))
                session.flush()
        session.commit()
    except Exception as exc:                # a busy database, two instances writing the first row at once
        session.rollback()
        log.warning("sweep %s not recorded: %s", kind, type(exc).__name__)


def last_runs(session: Session, model, labels: dict[str, str]) -> list[dict]:
    """Each kind of ``labels`` (kind -> French label), with its last run, or none yet."""
    rows = {row.kind: row for row in session.scalars(sa.select(model).where(model.kind.in_(list(labels))))}
    runs = []
    for kind, label in labels.items():
        row = rows.get(kind)
        runs.append({"kind": kind, "label": label, "ran": row is not None,
                     "started_at": row.started_at.isoformat() + "Z" if row else None,
                     "duration_seconds": row.duration_seconds if row else None,
                     "outcome": row.outcome if row else None, "error": row.error if row else None,
                     "instance": row.instance if row else None})
    return runs


def create_table(op) -> None:
    """The 0022 migration of each service (frozen: a later change gets its own migration)."""
    op.create_table(
        "sweep_run",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("error", sa.String(length=100), nullable=True),
        sa.Column("instance", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("kind"))


def drop_table(op) -> None:
    op.drop_table("sweep_run")
