"""RPC replies on one long-lived channel per service process, without publisher confirms.

nameko 2.14's ``Responder`` builds a kombu ``Connection`` per reply, takes a producer from the
pool, serialises the result twice, publishes through kombu's ensure/retry wrapper and then waits
for the broker's publisher confirm: about 160 µs of the ~300 µs a trivial call spends in the
service (bench/rpc_roundtrip.py). Here a reply is serialised once and written on a channel kept
open for the process's life.

Why a confirm buys nothing on a reply: its only use would be to publish again, but the caller has
its own timeout (contracts/rpc.py) and, when nothing comes, says "service indisponible" and lets
the person retry, which is safe (idempotency keys, state-checked transitions); the request is
acknowledged only after the reply is written, so a worker that dies before that leaves the request
to the broker (redelivered, or expired with its TTL). A late or duplicate reply is dropped by the
caller (correlation id), and a reply lost on the way (a node dying under it) is for the caller
the same as one never sent: the same timeout, the same retry. Replies are transient: the callers' reply queues are exclusive, a reply
that outlives a broker restart has no one to read it.

The connection's guarantees:
- one connection at a time: under a lock, the workers that find it broken wait for the one
  reconnecting instead of each opening its own (py-amqp writes each message's frames whole,
  under its own per-connection lock, so parallel replies never interleave);
- what the broker sends on it (connection or channel closed, node stopping, connection.blocked) is
  read by py-amqp itself before each publish (a non-blocking read; nothing else reads this
  socket), and a closed or dead connection (a killed node: the read finds the socket closed) makes
  that publish fail;
- a failed publish drops the connection and is tried once more on a new one, reached through the
  ``AMQP_URI`` failover list (kombu's alternates: a cluster's other nodes, tried at once); if
  that fails too the error is raised to the entrypoint, which logs the lost reply
  (services/common/entrypoint.py).
"""
import logging
import sys

import amqp
import kombu.serialization
from eventlet.semaphore import Semaphore
from kombu import Connection
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_TRANSPORT_OPTIONS,
                              LOGIN_METHOD_CONFIG_KEY, RPC_EXCHANGE_CONFIG_KEY, TRANSPORT_OPTIONS_CONFIG_KEY)
from nameko.exceptions import UnserializableValueError, serialize
from nameko.extensions import SharedExtension

from contracts import wire

log = logging.getLogger(__name__)
TRANSIENT = 1
JSON = "application/json"


def encode(message, result, exc_info):
    """(body, content type, encoding, result, exc_info) of the reply to ``message``, encoded as the
    request was. A result the serializer refuses becomes nameko's UnserializableValueError."""
    serializer = kombu.serialization.registry.type_to_name[message.properties["content_type"]]
    error = None if exc_info is None else serialize(exc_info[1])
    try:
        content_type, encoding, body = _dumps({"result": result, "error": error}, serializer)
    except Exception:
        exc_info = sys.exc_info()
        result, error = None, serialize(UnserializableValueError(result))
        content_type, encoding, body = _dumps({"result": None, "error": error}, serializer)
    return body, content_type, encoding, result, exc_info


def _dumps(reply: dict, serializer: str):
    if serializer == "json":        # orjson's text, kombu's wherever it would differ (contracts/wire.py)
        return JSON, "utf-8", wire.dumps(reply, lambda value: kombu.serialization.dumps(value, serializer)[2])
    return kombu.serialization.dumps(reply, serializer)


class Replies(SharedExtension):
    """The container's reply channel (shared by its ``@rpc`` entrypoints)."""

    def setup(self):
        config = self.container.config
        self.exchange = config.get(RPC_EXCHANGE_CONFIG_KEY, "nameko-rpc")
        self._lock = Semaphore()
        self._connection = self._channel = None

    def stop(self):
        with self._lock:
            connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception as exc:      # stopping anyway; the broker drops the connection itself
                log.info("reply connection not closed cleanly: %r", exc)

    def kill(self):
        self._drop(self._connection)

    def send(self, message, result, exc_info):
        """Publish the reply to ``message``; returns (result, exc_info) as nameko's Responder."""
        body, content_type, encoding, result, exc_info = encode(message, result, exc_info)
        reply = amqp.Message(body, content_type=content_type, content_encoding=encoding,
                             correlation_id=message.properties.get("correlation_id"), delivery_mode=TRANSIENT)
        routing_key = message.properties.get("reply_to") or ""
        with self._lock:
            try:
                self._open().basic_publish(reply, exchange=self.exchange, routing_key=routing_key)
            except Exception as exc:
                log.info("reply channel lost (%r), publishing on a new one", exc)
                self._drop(self._connection)
                self._open().basic_publish(reply, exchange=self.exchange, routing_key=routing_key)
        return result, exc_info

    def _open(self):
        if self._channel is None:
            connection = self._connect()
            self._connection, self._channel = connection, connection.channel()
        return self._channel

    def _connect(self):
        config = self.container.config
        connection = Connection(config[AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
                                transport_options=config.get(TRANSPORT_OPTIONS_CONFIG_KEY, DEFAULT_TRANSPORT_OPTIONS))
        # Each node of the failover list once, without the pause kombu makes between tries by default.
        connection.ensure_connection(max_retries=len(connection.alt) or 1, interval_start=0, interval_step=0.1,
                                     interval_max=0.2)
        return connection

    def _drop(self, connection):
        # No close handshake: the connection is broken, waiting for the broker's answer could hang.
        if connection is not None and connection is self._connection:
            self._connection = self._channel = None
            connection.collect()
