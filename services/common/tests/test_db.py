"""Under eventlet (as `nameko run` and `nameko test` run), psycopg2 waits on
the hub instead of blocking it; each worker has its own session, rolled back when it fails."""
import json
import time

import eventlet
import eventlet.patcher
import psycopg2.extensions
import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from contracts.errors import RuleViolation
from services.accounts.models import EventOutbox
from services.common import db
from services.common.db import Database, make_engine
from services.common.entrypoint import rpc
from services.common.event_outbox import Emit


def test_postgres_engine_makes_psycopg2_cooperative():
    assert eventlet.patcher.is_monkey_patched("socket")
    psycopg2.extensions.set_wait_callback(None)
    engine = make_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none")   # no connection is opened
    callback = psycopg2.extensions.get_wait_callback()
    assert callback is not None and callback.__module__ == "psycogreen.eventlet"
    engine.dispose()


def rollback_probe(database_url: str):
    class RollbackProbe:
        name = "rollback_probe"
        db = Database("accounts", lambda: database_url)          # any service's schema will do

        @rpc
        def write(self, n, fail):
            Emit(self.db, EventOutbox).append(("probe", {"n": n}))
            self.db.flush()           # written in the worker's transaction (PostgreSQL: the others run meanwhile)
            if fail:
                raise RuleViolation("Refusé.")
            self.db.commit()

    return RollbackProbe


@pytest.mark.db
@pytest.mark.integration
def test_each_worker_has_its_own_session_and_a_failed_one_leaves_nothing(container_factory, fresh_amqp_uri,
                                                                          database_urls, migrated_session):
    """Forty calls at once, every other one failing after writing: only the others' rows are kept, and
    no session outlives its worker."""
    session = migrated_session("accounts")
    container = container_factory(rollback_probe(database_urls["accounts"]), {"AMQP_URI": fresh_amqp_uri,
                                                                               "max_workers": 8})
    container.start()

    def call(n):
        with entrypoint_hook(container, "write") as write:
            try:
                write(n, n % 2 == 1)
            except RuleViolation:
                pass

    pool = eventlet.GreenPool(40)
    list(pool.imap(call, range(40)))
    container.stop()                                  # every worker done (a hook may return on another's result)
    # A connection handed back with a failed worker's row still pending would commit it with the next worker's.
    kept = sorted(json.loads(p)["n"] for p in session.scalars(sa.select(EventOutbox.payload)))
    assert kept == list(range(0, 40, 2))
    assert next(d for d in container.dependencies if isinstance(d, Database))._open == {}


@pytest.mark.postgresql
def test_a_connection_back_from_the_pool_is_pinged_only_after_waiting_there(database_urls, monkeypatch):
    """Used again at once: no ping (a round trip saved per call). Waiting longer: pinged, and one whose server
    side was cut meanwhile is replaced before the query, which then succeeds (no error reaches the worker)."""
    engine = make_engine(database_urls["accounts"])
    pings, ping = [], engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi_connection: pings.append(1) or ping(dbapi_connection))
    backend = "SELECT pg_backend_pid()"
    with engine.connect() as conn:
        first = conn.exec_driver_sql(backend).scalar()
    with engine.connect() as conn:
        assert conn.exec_driver_sql(backend).scalar() == first and pings == []
    with sa.create_engine(database_urls["accounts"], poolclass=sa.pool.NullPool).connect() as admin:
        admin.exec_driver_sql(f"SELECT pg_terminate_backend({first})")
    time.sleep(db.PING_AFTER_IDLE_SECONDS + 0.1)
    with engine.connect() as conn:
        assert conn.exec_driver_sql(backend).scalar() != first and pings == [1]
    engine.dispose()
