"""The web's RPC client against the real broker and services: pooled links,
a timeout on every call, typed errors back as themselves."""
import socket
import time
import uuid

import pytest

from contracts.errors import InvalidCredentials, NotAuthenticated, ServiceUnavailable
from contracts.rpc import RpcClient

pytestmark = [pytest.mark.integration]


@pytest.fixture
def rpc(stack):
    client = RpcClient(stack.env["AMQP_URI"], timeout=2)
    yield client
    client.close()


def test_health_and_pooled_link_reuse(rpc):
    assert rpc.call("accounts", "health")["status"] == "ok"
    link = rpc._pool.get_nowait()
    rpc._pool.put(link)
    for _ in range(5):
        rpc.call("requests", "health")
    assert rpc._pool.qsize() == 1 and rpc._pool.get_nowait() is link


def test_a_call_leaves_in_one_write(rpc, monkeypatch):
    """pika writes a message's frames (method, header, body) one by one; the client joins them."""
    assert rpc.call("requests", "health")["status"] == "ok"          # a link opened and pooled
    sends, send = [], socket.socket.send
    monkeypatch.setattr(socket.socket, "send", lambda sock, data, *flags: sends.append(data) or send(sock, data, *flags))
    assert rpc.call("requests", "health")["status"] == "ok"
    assert len(sends) == 1


def test_a_pooled_link_whose_socket_ended_is_not_used_again(rpc):
    """A pooled link is read before it is reused (only when its socket has something: services.web's pages pay
    no loop turn): the end of a connection the broker dropped while it waited is seen, a new link serves."""
    assert rpc.call("requests", "health")["status"] == "ok"
    link = rpc._pool.get_nowait()
    rpc._pool.put(link)
    link.connection._impl._transport._sock.shutdown(socket.SHUT_RDWR)
    assert rpc.call("requests", "health")["status"] == "ok"
    assert rpc._pool.qsize() == 1 and rpc._pool.get_nowait() is not link


def test_typed_errors_come_back_as_their_class(rpc):
    with pytest.raises(InvalidCredentials) as exc:
        rpc.call("accounts", "authenticate", "personne@inconnu.test", "x")
    assert exc.value.message == "Adresse électronique ou mot de passe incorrect."
    with pytest.raises(NotAuthenticated):
        rpc.call("accounts", "me")                   # no identity
    with pytest.raises(NotAuthenticated):
        rpc.call("accounts", "me", identity="forged.token")


def test_a_call_sent_now_is_read_later_or_abandoned(rpc):
    """The web sends a page's read, renders around it, then reads it (services.web.rpc.Later)."""
    first, second = rpc.send("accounts", "health"), rpc.send("requests", "health")   # two links at once
    assert second.result()["status"] == "ok" and first.result()["status"] == "ok"
    assert rpc._pool.qsize() == 2
    with pytest.raises(RuntimeError):
        first.result()                                    # one reply, read once
    left = rpc.send("requests", "health")
    left.abandon()                                        # its reply may still come: the link is not pooled
    assert rpc._pool.qsize() == 1 and left.done
    with pytest.raises(InvalidCredentials):      # an address of its own: the suite's other tries do not slow it
        rpc.send("accounts", "authenticate", f"envoi-{uuid.uuid4().hex[:8]}@inconnu.test", "x").result()
    late = rpc.send("no_such_service", "health", timeout=0.3)
    time.sleep(0.4)
    with pytest.raises(ServiceUnavailable):
        late.result()


def test_no_service_means_unavailable_after_the_timeout(rpc):
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as exc:
        rpc.call("no_such_service", "health", timeout=0.5)
    assert 0.5 <= time.monotonic() - started < 2
    assert exc.value.service == "no_such_service"


def test_unreachable_broker_means_unavailable():
    client = RpcClient("amqp://guest:guest@127.0.0.1:1/", timeout=1)
    with pytest.raises(ServiceUnavailable):
        client.call("accounts", "health")
