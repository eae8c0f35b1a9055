"""The producers' event outbox: events commit or roll back with the change that caused them,
and the relay keeps an event until the broker routes it to a queue (a fresh broker where no
consumer ever declared its queue loses nothing), with the correlation id of the request that emitted it."""
import json

import pika
import pytest
import sqlalchemy as sa

from contracts import events, logs
from services.accounts.models import EventOutbox
from services.common import event_outbox
from services.common.event_outbox import Emit, event_publisher

pytestmark = pytest.mark.db


@pytest.fixture
def session(migrated_session):
    return migrated_session("accounts")


def pending(session):
    return session.scalars(sa.select(EventOutbox).order_by(EventOutbox.id)).all()


def test_events_commit_and_roll_back_with_the_change(session):
    emit = Emit(session, EventOutbox)
    emit.append((events.PASSWORD_CHANGED, {"event_id": "a", "recipients": []}))
    session.rollback()                                           # the change failed: no event either
    assert pending(session) == []
    emit = Emit(session, EventOutbox)
    emit.append((events.PASSWORD_CHANGED, {"event_id": "b", "recipients": []}))
    session.commit()
    [row] = pending(session)
    assert (row.event_type, json.loads(row.payload)["event_id"]) == (events.PASSWORD_CHANGED, "b")
    assert list(emit) == [(events.PASSWORD_CHANGED, {"event_id": "b", "recipients": []})]


def test_a_failed_publish_keeps_the_event_for_later(session):
    emit = Emit(session, EventOutbox)
    emit.append((events.PASSWORD_CHANGED, {"event_id": "c"}))
    session.commit()

    def broker_away(event_type, payload, correlation_id=None):
        raise ConnectionError("courtier injoignable")

    assert event_outbox.relay(session, EventOutbox, broker_away) == 0
    [row] = pending(session)
    assert (row.attempts, row.locked_until) == (1, None) and "courtier injoignable" in row.last_error
    assert event_outbox.relay(session, EventOutbox, broker_away) == 0       # not due before its backoff
    assert pending(session)[0].attempts == 1


@pytest.mark.integration
def test_unroutable_event_waits_for_its_consumer_queue_then_is_published_once(session, fresh_amqp_uri):
    publish = event_publisher(fresh_amqp_uri, events.ACCOUNTS)
    emit = Emit(session, EventOutbox)
    logs.bind(correlation_id := logs.new_id())                     # the request that emitted it
    try:
        emit.append((events.PASSWORD_CHANGED, {"event_id": "d", "recipients": []}))
    finally:
        logs.bind(None)
    session.commit()

    assert event_outbox.relay(session, EventOutbox, publish) == 0          # no queue bound: kept
    [row] = pending(session)
    assert "aucune file" in row.last_error

    # The consumer starts: its durable queue is bound, as nameko's event_handler does.
    connection = pika.BlockingConnection(pika.URLParameters(fresh_amqp_uri))
    channel = connection.channel()
    queue = "evt-accounts-password_changed--notifier.on_password_changed"
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, "accounts.events", routing_key=events.PASSWORD_CHANGED)
    try:
        assert event_outbox.relay(session, EventOutbox, publish, now=row.next_attempt_at) == 1
        assert pending(session) == []
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        assert json.loads(body) == {"event_id": "d", "recipients": []}
        assert properties.delivery_mode == 2                                 # persistent
        assert properties.headers["nameko.correlation_id"] == correlation_id  # the consumer logs under it
        assert channel.basic_get(queue, auto_ack=True) == (None, None, None)  # once
    finally:
        connection.close()
