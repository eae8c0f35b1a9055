"""The Events dependency provider in a running service: what an RPC appends to ``self.events``
is relayed to the broker as soon as the call is over, and a refused call (it raises, its
transaction rolls back) publishes nothing."""
import json
import time

import pika
import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from contracts.errors import RuleViolation
from services.accounts.models import EventOutbox
from services.common import event_outbox
from services.common.db import Database
from services.common.entrypoint import rpc

pytestmark = [pytest.mark.db, pytest.mark.integration]

PROBE = "events_probe"
CHANGED = "probe_changed"


def probe_service(database_url: str):
    class EventsProbe:
        name = PROBE
        db = Database("accounts", lambda: database_url)          # any producer's outbox table will do
        events = event_outbox.Events(EventOutbox)

        @rpc
        def change(self, event_id):
            self.events.append((CHANGED, {"event_id": event_id}))
            self.db.commit()
            return event_id

        @rpc
        def refuse(self, event_id):
            self.events.append((CHANGED, {"event_id": event_id}))
            self.db.flush()                                       # the row is written, not committed
            raise RuleViolation("Refusé.")

    return EventsProbe


@pytest.fixture
def session(migrated_session):
    return migrated_session("accounts")


@pytest.fixture
def consumer(fresh_amqp_uri):
    """A queue bound to the probe's events, as a consumer's event_handler would declare it."""
    connection = pika.BlockingConnection(pika.URLParameters(fresh_amqp_uri))
    channel = connection.channel()
    channel.exchange_declare(f"{PROBE}.events", exchange_type="topic", durable=True)
    channel.queue_declare("probe-events", durable=True)
    channel.queue_bind("probe-events", f"{PROBE}.events", routing_key=CHANGED)
    yield channel
    connection.close()


def received(channel, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, _properties, body = channel.basic_get("probe-events", auto_ack=True)
        if method is not None:
            return json.loads(body)
        time.sleep(0.05)
    return None


def test_an_rpc_event_is_relayed_right_after_it_and_a_refused_call_publishes_nothing(
        session, consumer, container_factory, fresh_amqp_uri, database_urls):
    container = container_factory(probe_service(database_urls["accounts"]), {"AMQP_URI": fresh_amqp_uri})
    container.start()

    with entrypoint_hook(container, "change") as change:
        assert change("a") == "a"
    assert received(consumer) == {"event_id": "a"}                 # no relay timer here: the call's own relay

    with entrypoint_hook(container, "refuse") as refuse:
        with pytest.raises(RuleViolation):
            refuse("b")
    with entrypoint_hook(container, "change") as change:
        change("c")
    assert received(consumer) == {"event_id": "c"}                 # the next event, not the refused one's
    assert received(consumer, timeout=0.5) is None
    session.expire_all()
    assert session.scalars(sa.select(EventOutbox)).all() == []    # published rows are deleted, refused ones never kept
