"""Database access for a nameko service: one engine per container, one
session per worker, migrations applied when the container starts.

PostgreSQL goes through psycopg2 made cooperative by psycogreen, so a query
waits on the eventlet hub instead of blocking every other worker.
"""
import contextlib
import logging
import time

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from contracts import broker
from services.common import migrations


SQLITE_LOCK_WAIT_SECONDS = 15
# A pooled connection handed back less than this ago is used without a ping (HikariCP's « alive bypass
# window », 500 ms too): a service answering calls back to back saves a round trip to PostgreSQL per call.
PING_AFTER_IDLE_SECONDS = 0.5


def make_engine(url: str) -> sa.Engine:
    if url.startswith("postgresql"):
        _green_psycopg2()
        return _ping_after_idle(sa.create_engine(url, pool_size=10, max_overflow=10))
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_LOCK_WAIT_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")   # readers never wait for the writer
        # In WAL mode, NORMAL survives a killed process (what the outbox's exactly-once relies on) and
        # syncs at checkpoints instead of at every commit; only a power cut loses the last commits.
        # SQLite is the laptop default: production runs PostgreSQL.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _ping_after_idle(engine: sa.Engine) -> sa.Engine:
    """SQLAlchemy's pre-ping, but only for a connection that waited in the pool: a server restarted (or a
    connection cut) meanwhile is found before the worker's first query and every older connection is dropped
    (pre-ping's own way); one used a moment ago goes straight to its query."""

    def _returned(_dbapi_connection, record):        # a new connection counts as just used
        record.info["returned_at"] = time.monotonic()

    sa.event.listen(engine, "connect", _returned)
    sa.event.listen(engine, "checkin", _returned)

    @sa.event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("returned_at", 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise sa.exc.InvalidatePoolError() from exc     # the pool opens a fresh connection instead
            raise

    return engine


@contextlib.contextmanager
def brief_lock_wait(session: Session, milliseconds: int = 100):
    """Writes inside wait for a busy SQLite file this long at most (then fail) instead of the engine's
    15 s: SQLite waits for its lock in C, holding every green thread of the service meanwhile, which
    bookkeeping (a sweep's last run) is not worth. Nothing changes on PostgreSQL (green psycopg2)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(milliseconds)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_LOCK_WAIT_SECONDS * 1000}")


def probe_engine(engine: sa.Engine, timeout: int = 2) -> sa.Engine:
    """An engine that opens a fresh connection each time (no pool), for readiness: can the service
    reach its database *now*? The service's own pool may hold connections opened before an outage.
    A SQLite file is opened read-write without being created: a file gone is a database unreachable."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return engine
        return sa.create_engine(f"sqlite:///file:{url.database}?mode=rw&uri=true", poolclass=NullPool,
                                connect_args={"timeout": timeout})
    return sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": timeout})


def _green_psycopg2():
    import eventlet.patcher

    if eventlet.patcher.is_monkey_patched("socket"):
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()


class Database(DependencyProvider):
    """Injects a SQLAlchemy ``Session``; rolled back and closed after each worker,
    so a failed call never leaves a half-written record (domain code commits)."""

    def __init__(self, service: str, url_factory):
        self.service = service
        self.url_factory = url_factory

    def bind(self, container, attr_name):
        # Every service has a database, so this is where a service started with no broker address
        # (config.yaml leaves AMQP_URI to the environment) gets contracts.broker's, before any
        # extension connects: bind runs when the container is built, setup only when it starts.
        broker.fill_in(container.config)
        return super().bind(container, attr_name)

    def setup(self):
        # Before touching anything: a production service with example settings does not start.
        from services.common.config import check_production

        check_production(self.service)
        url = self.url_factory()
        self.engine = make_engine(url)
        migrations.upgrade(self.service, self.engine)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._open = {}

    def stop(self):
        self.engine.dispose()

    def ready_check(self) -> dict:
        """The readiness probe's database check (services.common.probes): a fresh connection answers."""
        try:
            engine = self._probe = getattr(self, "_probe", None) or probe_engine(self.engine)
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            return {"database": True}
        except Exception as exc:        # refused, gone, timed out: not ready, whatever the reason
            logging.getLogger(__name__).warning("readiness: database unreachable: %s", type(exc).__name__)
            return {"database": False}

    def get_dependency(self, worker_ctx) -> Session:
        session = self.sessions()
        self._open[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self._open.pop(worker_ctx, None)
        if session is not None:
            # close() rolls back whatever the worker left uncommitted and hands the connection back to the
            # pool: one rollback per call, not a Session rollback and then the pool's own on return.
            session.close()


def seed_command(service: str, seed) -> None:
    """Body of each service's ``python -m services.<name>.seed``: migrate, then seed."""
    from services.common.config import database_url

    engine = make_engine(database_url(service))
    migrations.upgrade(service, engine)
    with Session(engine) as session:
        seed(session)
    engine.dispose()
    print(f"{service} : données de démonstration prêtes")
