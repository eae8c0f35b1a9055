"""A call delivered to a service is read from the socket in one go (services/common/amqp_reads.py), against
the real broker: py-amqp alone makes three reads per frame, nine for a message's three frames."""
import amqp
import kombu
import pytest

from services.common import amqp_reads

pytestmark = [pytest.mark.integration]


def test_a_delivered_message_is_read_whole_in_a_read_or_two(fresh_amqp_uri):
    amqp_reads.install()            # as every service process does (services.common.entrypoint)
    with kombu.Connection(fresh_amqp_uri) as consumer, kombu.Connection(fresh_amqp_uri) as producer:
        channel = consumer.default_channel
        queue = channel.queue_declare(queue="", exclusive=True).queue
        received = []
        channel.basic_consume(queue, callback=received.append, no_ack=True)
        transport, reads = consumer.connection.transport, []
        recv = transport._quick_recv
        transport._quick_recv = lambda size: reads.append(size) or recv(size)
        body = bytes(range(256)) * 40                     # 10 kB, a page of rows
        producer.default_channel.basic_publish(amqp.Message(body, correlation_id="c1"), routing_key=queue)
        consumer.drain_events(timeout=5)
    assert [(m.body, m.properties["correlation_id"]) for m in received] == [(body, "c1")]
    assert 1 <= len(reads) <= 3, reads                   # py-amqp's own: three a frame at least (15 here)
