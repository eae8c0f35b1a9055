"""A pooled RPC client speaking nameko's AMQP wire protocol with pika.

Why not nameko's own proxies: the standalone ClusterRpcProxy has no reply
timeout by default and costs tens of milliseconds to set up, so one per web
request is too slow, and it drags eventlet into the web process. This client
keeps a few connections open per process, each with its own exclusive reply
queue, and bounds every call by a timeout.

Wire protocol (nameko 2.14): publish JSON ``{"args", "kwargs"}`` on the
durable topic exchange ``nameko-rpc`` with routing key ``<service>.<method>``,
``reply_to`` = a routing key bound to our reply queue (``<broker account>.<uuid>``), a ``correlation_id``;
context travels in ``nameko.*`` headers (the signed identity, the correlation id of contracts.logs).
The reply is ``{"result", "error"}``.

Each request carries a per-message TTL equal to the timeout: a call the caller
has given up on expires in the broker instead of being executed later by a
service that comes back. A call already taken by a service when the caller
gives up may still complete: writes the user retries carry an idempotency key
(requests.submit), and the client itself never publishes a call twice.

Broker restarts and network cuts: the timeout bounds the whole call, connecting
included, so no caller waits longer than it asked. A link that lost its
connection, or whose call went unanswered (its socket may be half-open, which
nothing else would detect with heartbeats off), is closed, never pooled again;
the next call opens a fresh one, so the client reconnects by itself as soon as
the broker is back.

A cluster (contracts.broker: ``AMQP_URI`` listing several nodes): a new link
tries the nodes in turn and connects to the first that answers, starting with
the last node that did: once a node is gone, only the first link after the loss
pays for trying it (a whole connect timeout when its host is down rather than
refusing), every later one goes straight to a remaining node.
"""
import os
import queue
import select
import threading
import time
import uuid

import pika
import pika.exceptions
from pika.adapters.utils.io_services_utils import _AsyncPlaintextTransport as _PLAINTEXT
from nameko.exceptions import deserialize

from contracts import logs, wire
from contracts.broker import addresses
from contracts.errors import ServiceUnavailable
from contracts.identity import CONTEXT_KEY

EXCHANGE = "nameko-rpc"
_CONNECTION_ERRORS = (pika.exceptions.AMQPError, OSError)


class _OneWrite(pika.SelectConnection):
    """pika hands a message's frames (method, header, body) to its socket one by one, each when its loop next
    finds the socket writable: three packets, and a turn of the loop (a poll, its callbacks) for a socket that
    was writable all along. Here a call's frames are joined and written at once when nothing waits before
    them, as asyncio's transports do; what the socket does not take (a full buffer, an error) goes pika's way.
    The same bytes on the wire; two system calls fewer on each side and no loop turn (processor time, on a
    machine that has little). Relies on pika 1.4's connection internals (pinned, tests/test_rpc_client.py)."""

    def _output_marshaled_frames(self, marshaled_frames):
        data = b"".join(marshaled_frames)
        transport = self._transport
        if isinstance(transport, _PLAINTEXT) and transport.get_write_buffer_size() == 0:
            try:
                sent = transport._sock.send(data)
            except OSError:             # would block, or broken: pika's writer finds out and closes as it does
                sent = 0
            self.bytes_sent += sent
            if sent == len(data):
                self.frames_sent += len(marshaled_frames)
                return
            data = data[sent:]
        super()._output_marshaled_frames([data])


class _Link:
    """One connection + channel + exclusive reply queue. Used by one thread at a time."""

    def __init__(self, params):
        self._account = params.credentials.username
        self.connection = pika.BlockingConnection(params, _impl_class=_OneWrite)
        self._readable = _readable(self.connection._impl._transport)
        try:
            self._open_channel()
        except BaseException:
            self.close()                 # a half-made link must not leak its socket
            raise

    def _open_channel(self):
        self.channel = self.connection.channel()
        self.channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
        reply_queue = self.channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        # "<broker account>.<uuid>": the broker lets each account bind only reply keys of its own name
        # (deploy/rabbitmq/definitions.json), so a service that sees this key in a call cannot listen to it.
        self.reply_key = f"{self._account}.{uuid.uuid4()}"
        self.channel.queue_bind(reply_queue, EXCHANGE, routing_key=self.reply_key)
        self.channel.basic_consume(reply_queue, self._on_reply, auto_ack=True)
        self._waiting_for = None
        self._reply = None

    def _on_reply(self, channel, method, properties, body):
        # Late replies to calls that already timed out are dropped here.
        if properties.correlation_id == self._waiting_for:
            self._reply = body

    def alive(self):
        """Whether the link still works: what the broker sent while it was pooled (a late reply, a close, the
        end of the socket when the broker went away) is read first; pika's loop runs only when there is some."""
        try:
            if self._readable():
                self.connection.process_data_events(time_limit=0)
            return self.connection.is_open
        except _CONNECTION_ERRORS:
            return False

    def send(self, routing_key, body, headers, timeout):
        correlation_id = str(uuid.uuid4())
        self._waiting_for, self._reply = correlation_id, None
        self.channel.basic_publish(
            EXCHANGE,
            routing_key,
            body,
            pika.BasicProperties(
                reply_to=self.reply_key,
                correlation_id=correlation_id,
                content_type="application/json",
                headers=headers,
                expiration=str(max(1, int(timeout * 1000))),
            ),
        )

    def reply(self, deadline):
        """The reply to the call sent last, or None at the deadline."""
        while self._reply is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._waiting_for = None
                return None
            self.connection.process_data_events(time_limit=remaining)
        self._waiting_for = None
        return self._reply

    def close(self):
        try:
            if self.connection.is_open:
                self.connection.close()
        except _CONNECTION_ERRORS:
            pass


class RpcClient:
    """Thread-safe, fork-aware pool of links. ``call`` raises the service's typed
    errors as themselves and ``ServiceUnavailable`` when nothing answers in time."""

    def __init__(self, amqp_uri, timeout=5.0, pool_size=8, connect_timeout=2.0):
        self._params = [_parameters(address, timeout, connect_timeout) for address in addresses(amqp_uri)]
        self.timeout = timeout
        self._pool_size = pool_size
        self._pool = queue.LifoQueue()
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def _checkout(self):
        with self._lock:
            if self._pid != os.getpid():     # after gunicorn's fork: never share sockets
                self._pool = queue.LifoQueue()
                self._pid = os.getpid()
        while True:
            try:
                link = self._pool.get_nowait()
            except queue.Empty:
                return self._connect()
            if link.alive():
                return link
            link.close()

    def _connect(self):
        with self._lock:
            order = list(self._params)
        error = pika.exceptions.AMQPConnectionError("AMQP_URI names no broker")
        for params in order:
            try:
                link = _Link(params)
            except _CONNECTION_ERRORS as exc:
                error = exc
                continue
            with self._lock:
                if self._params[0] is not params:          # the node that answered is tried first from now on
                    self._params.remove(params)
                    self._params.insert(0, params)
            return link
        raise error

    def _checkin(self, link):
        if self._pool.qsize() < self._pool_size:
            self._pool.put(link)
        else:
            link.close()

    def call(self, service, method, *args, identity=None, timeout=None, **kwargs):
        return self.send(service, method, *args, identity=identity, timeout=timeout, **kwargs).result()

    def send(self, service, method, *args, identity=None, timeout=None, **kwargs) -> "Pending":
        """The call published now, its reply read by ``result()``: the caller works meanwhile (the web renders
        the page around the rows it asked for). A link stays checked out until ``result()`` or ``abandon()``."""
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        body = wire.dumps({"args": args, "kwargs": kwargs})
        headers = {"nameko.call_id_stack": [f"web.{method}.{uuid.uuid4()}"]}
        if identity:
            headers[f"nameko.{CONTEXT_KEY}"] = identity      # nameko hands it to the service as context data
        if correlation_id := logs.current():                 # the web request's, or the calling worker's
            headers[f"nameko.{logs.CONTEXT_KEY}"] = correlation_id
        try:
            link = self._checkout()
        except _CONNECTION_ERRORS as exc:
            raise ServiceUnavailable(service, f"broker unreachable: {exc!r}")
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            self._checkin(link)
            raise ServiceUnavailable(service, f"no time left within {timeout}s after connecting")
        try:
            link.send(f"{service}.{method}", body, headers, remaining)
        except _CONNECTION_ERRORS as exc:
            link.close()
            raise ServiceUnavailable(service, f"connection lost: {exc!r}")
        return Pending(self, link, service, timeout, deadline)

    def reachable(self) -> bool:
        """A link to the broker is open, or opens now (the web's readiness): no service is asked."""
        try:
            link = self._checkout()
        except _CONNECTION_ERRORS:
            return False
        self._checkin(link)
        return True

    def close(self):
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return


class Pending:
    """A call sent, its reply not read yet."""

    def __init__(self, client: RpcClient, link: _Link, service: str, timeout: float, deadline: float):
        self._client, self._link, self.service, self._timeout, self._deadline = client, link, service, timeout, deadline

    def result(self):
        """The service's answer; its typed error raised as itself; ServiceUnavailable past the deadline."""
        link, self._link = self._link, None
        if link is None:
            raise RuntimeError("the reply of this call was already read or abandoned")
        try:
            raw = link.reply(self._deadline)
        except _CONNECTION_ERRORS as exc:
            link.close()
            raise ServiceUnavailable(self.service, f"connection lost: {exc!r}")
        if raw is None:
            link.close()
            raise ServiceUnavailable(self.service, f"no reply within {self._timeout}s")
        self._client._checkin(link)
        reply = wire.loads(raw)
        if reply.get("error"):
            raise deserialize(reply["error"])
        return reply.get("result")

    @property
    def done(self) -> bool:
        return self._link is None

    def abandon(self) -> None:
        """Never read: its link, whose reply may still come, is closed rather than pooled."""
        link, self._link = self._link, None
        if link is not None:
            link.close()


def _readable(transport):
    """Whether something waits to be read on the link's socket, asked of the system without pika's loop. Always
    read through pika where that cannot be asked: a TLS socket may hold what it has already read, and under
    eventlet (the services' tests) ``select`` has no ``poll``."""
    if not isinstance(transport, _PLAINTEXT) or not hasattr(select, "poll"):
        return lambda: True
    poller = select.poll()
    poller.register(transport._sock, select.POLLIN)
    return lambda: bool(poller.poll(0))


def _parameters(address, timeout, connect_timeout):
    params = pika.URLParameters(address)
    params.heartbeat = 0                 # idle pooled links must not be reaped
    params.socket_timeout = min(connect_timeout, timeout)
    # The whole opening handshake, not only the TCP connect: a broker (or a load balancer in
    # front of a dead one) that accepts the socket but never speaks AMQP costs this much at most.
    params.stack_timeout = min(connect_timeout, timeout)
    params.blocked_connection_timeout = timeout
    params.connection_attempts = 1
    return params
