"""The services' ``@rpc`` (services/common/entrypoint.py) and its replies (services/common/replies.py),
on the real broker: typed errors, large replies answered in parallel each to its own caller, a reply
connection the broker closes replaced at the next reply, a reply that cannot be sent lost without the
service, a failover list whose first node is dead."""
import logging
import subprocess

import eventlet
import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import IncorrectSignature, MethodNotFound
from nameko.testing.utils import get_extension

from contracts.errors import ServiceUnavailable, ValidationFailed
from contracts.rpc import RpcClient
from devtools.scratch import RABBITMQCTL
from services.common.entrypoint import RpcConsumer, rpc
from services.common.replies import Replies

pytestmark = pytest.mark.integration
SERVICE = "answering_probe"


class Answering:
    name = SERVICE

    @rpc
    def echo(self, value):
        return value

    @rpc
    def refuse(self):
        raise ValidationFailed("Le champ est faux.", {"champ": "faux"})

    @rpc
    def add_one(self, value):
        return value + 1            # a text here: TypeError in the worker

    @rpc
    def as_number(self, value):
        return int(value)           # a name here: ValueError quoting it

    @rpc
    def unserializable(self):
        return object()


@pytest.fixture
def service(container_factory, fresh_amqp_uri):
    container = container_factory(Answering, {"AMQP_URI": fresh_amqp_uri, "serializer": "json", "max_workers": 10})
    container.start()
    return container


@pytest.fixture
def client(service, fresh_amqp_uri):
    client = RpcClient(fresh_amqp_uri, timeout=10, pool_size=20)
    yield client
    client.close()


def close_connection(name_prefix):
    """Have the broker close this test's own connection (named "<local address> -> <broker address>")."""
    listed = subprocess.run([RABBITMQCTL, "-q", "list_connections", "pid", "name"], check=True, capture_output=True,
                            text=True).stdout.splitlines()
    [pid] = [line.split("\t")[0] for line in listed if "\t" in line and line.split("\t")[1].startswith(name_prefix)]
    subprocess.run([RABBITMQCTL, "-q", "close_connection", pid, "test"], check=True, capture_output=True)


def test_refusals_and_malformed_calls_are_typed(client):
    with pytest.raises(ValidationFailed) as refused:
        client.call(SERVICE, "refuse")
    assert refused.value.fields == {"champ": "faux"}
    with pytest.raises(ValidationFailed):
        client.call(SERVICE, "add_one", "un")
    with pytest.raises(IncorrectSignature):
        client.call(SERVICE, "echo", 1, 2)
    with pytest.raises(MethodNotFound):                          # answered before any worker runs
        client.call(SERVICE, "absent")
    with pytest.raises(Exception) as unserializable:
        client.call(SERVICE, "unserializable")
    assert "UnserializableValueError" in repr(unserializable.value)
    assert client.call(SERVICE, "add_one", 1) == 2


def test_a_malformed_call_is_logged_without_the_input_it_quotes(client, caplog):
    """``int("Jean Dupont")`` says the name in its message: the worker's error line keeps the type and where."""
    with pytest.raises(ValidationFailed):
        client.call(SERVICE, "as_number", "Jean Dupont")
    lines = [r for r in caplog.records if r.name == "nameko.containers" and r.levelname == "ERROR"]
    assert lines, [r.getMessage() for r in caplog.records]
    shown = "".join(logging.Formatter().format(r) for r in lines)
    assert "Dupont" not in shown
    assert "ValueError" in shown and "as_number" in shown and "int(value)" in shown


def test_large_replies_in_parallel_each_reach_their_caller(client, service):
    # A broker slow to read (busy, or throttling the connection) takes each reply in several writes,
    # between which the other workers run: their frames must never interleave on the shared socket
    # (py-amqp writes each message's frames under its connection's lock).
    assert client.call(SERVICE, "echo", 1) == 1
    replies = get_extension(service, Replies)
    connection = replies._connection
    transport = connection.connection.transport
    sendall = transport._write

    def slow_sendall(data):
        view = memoryview(data)
        for start in range(0, len(view), 65_536):
            sendall(view[start:start + 65_536])
            eventlet.sleep(0)

    transport._write = slow_sendall

    def call(n):
        value = f"{n:04d}" * 100_000
        return client.call(SERVICE, "echo", value) == value

    assert all(eventlet.GreenPool(20).imap(call, range(60)))
    assert replies._connection is connection                 # none broken on the way (then replaced)


def test_a_reply_connection_the_broker_closes_is_replaced_once_under_parallel_replies(client, service, monkeypatch):
    assert client.call(SERVICE, "echo", 1) == 1
    replies = get_extension(service, Replies)
    host, port = replies._connection.connection.sock.getsockname()[:2]
    close_connection(f"{host}:{port} -> ")
    eventlet.sleep(0.5)
    opened, connect = [], replies._connect

    def slow_connect():                                      # as when failing over to another node
        eventlet.sleep(0.2)
        opened.append(connect())
        return opened[-1]

    monkeypatch.setattr(replies, "_connect", slow_connect)

    assert list(eventlet.GreenPool(20).imap(lambda n: client.call(SERVICE, "echo", n), range(60))) == list(range(60))
    assert len(opened) == 1                                   # the workers waiting meanwhile use the new one
    assert opened[0] is replies._connection


def test_a_reply_that_cannot_be_sent_is_lost_not_the_service(client, service, monkeypatch, caplog):
    replies = get_extension(service, Replies)
    assert client.call(SERVICE, "echo", 1) == 1

    def unreachable():
        raise OperationalError("broker unreachable")

    monkeypatch.setattr(replies, "_connect", unreachable)
    replies.kill()                                              # the connection is gone, none can be made
    with pytest.raises(ServiceUnavailable):
        client.call(SERVICE, "echo", 2, timeout=1)
    assert any("lost, broker unreachable" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    assert client.call(SERVICE, "echo", 3) == 3
    assert not service._died.ready()


def test_an_acknowledgement_the_broker_resets_loses_the_ack_not_the_service(client, service, monkeypatch, caplog):
    """The broker going away between the reply and the ack: the socket's reset is not amqp's ConnectionError,
    which nameko's ack ignores; it reached the worker's thread and killed the container."""
    consumer = get_extension(service, RpcConsumer).queue_consumer

    def reset(message):
        monkeypatch.undo()
        raise ConnectionResetError(104, "Connection reset by peer")

    monkeypatch.setattr(consumer, "ack_message", reset)
    assert client.call(SERVICE, "echo", 1) == 1                # the reply had left
    assert any("not acknowledged" in r.getMessage() for r in caplog.records)
    assert client.call(SERVICE, "echo", 2) == 2
    assert not service._died.ready()


def test_replies_go_through_the_failover_list(container_factory, fresh_amqp_uri):
    dead_first = f"amqp://guest:guest@127.0.0.1:1/;{fresh_amqp_uri}"
    container = container_factory(Answering, {"AMQP_URI": dead_first, "serializer": "json"})
    container.start()
    client = RpcClient(fresh_amqp_uri, timeout=10)
    try:
        assert client.call(SERVICE, "echo", "ici") == "ici"
    finally:
        client.close()
