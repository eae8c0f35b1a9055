"""Fixtures for service tests (run under eventlet by `nameko test`)."""
import pytest
from sqlalchemy.orm import Session

from services.common import migrations
from services.common.db import make_engine
from services.common.event_outbox import Events

# Workers built by worker_factory run no entrypoint: their caller identity is signed for this audience.
WORKER_AUD = "tests.worker"


def _empty_tables(service, engine):
    with engine.begin() as conn:
        for table in reversed(migrations.models_metadata(service).sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def migrated_session(database_urls):
    """A session on the service's real, migrated and emptied database
    (the database is shared by the session's tests, so each starts clean)."""
    opened = []

    def factory(service: str) -> Session:
        engine = make_engine(database_urls[service])
        migrations.upgrade(service, engine)
        _empty_tables(service, engine)
        session = Session(engine, expire_on_commit=False)
        opened.append((service, engine, session))
        return session

    yield factory
    for service, engine, session in opened:
        session.close()
        _empty_tables(service, engine)
        engine.dispose()


def emitted_events(worker) -> list[tuple[str, dict]]:
    """(event type, payload) a worker_factory worker's calls wrote to the service's event outbox, in order:
    what the domain code appended to its (mocked) ``events``, or handed to its (mocked) relay."""
    if isinstance(getattr(type(worker), "events", None), Events):
        return [call.args[0] for call in worker.events.append.call_args_list]
    return [event for call in worker.relay.send.call_args_list if len(call.args) > 1 for event in call.args[1]]
