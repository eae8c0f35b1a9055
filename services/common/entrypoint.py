"""``@rpc`` for the services: nameko's, expecting the typed refusals (contracts.errors.EXPECTED),
surviving a broker that goes away mid-call, and answering on a long-lived channel.

Replies go out through services/common/replies.py (one channel per process, no publisher confirm,
no per-reply connection lookup or retry wrapper: why that is safe is said there), then the request
is acknowledged, as in nameko. Arguments are checked against a signature computed once per method
(nameko inspects the method again on every call).

In nameko 2.14 the reply is published from the worker's result handler; when the
broker is down at that moment (restart, failover, network cut) the publish fails
after its retries and the exception reaches the container, which kills the whole
service: every instance that was busy when RabbitMQ restarted would stop for good.
Here the lost reply is logged and dropped instead. The caller has already been told
"service indisponible" (its own timeout); the request message, never acknowledged,
goes back to the broker or expires with its TTL; and a retried write is safe
(idempotency keys, state-checked transitions). The consumer reconnects by itself
(kombu), so the service serves again as soon as the broker is back.

Arguments of the wrong shape (a list where a text is expected, a text where a number is)
that reach code assuming the shape raise TypeError, ValueError… in the worker; the caller
gets a typed ValidationFailed instead of a generic remote error. The log names the method
and the exception's type only: its message may quote the input, personal data included.
"""
import inspect
import logging
import traceback

import nameko.rpc
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko.exceptions import IncorrectSignature, MethodNotFound

from contracts.errors import EXPECTED, ServiceError, ValidationFailed
from services.common import amqp_reads
from services.common.replies import Replies

log = logging.getLogger(__name__)
amqp_reads.install()
LOST_BROKER = (OperationalError, AmqpConnectionError, ConnectionError, OSError)
MALFORMED = (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError, UnicodeError)


class WithheldMessages(logging.Filter):
    """nameko logs a worker's unexpected exception (``nameko.containers``) before the entrypoint types it. For
    the kinds bad arguments raise, the exception's own text may quote the input (``invalid literal for int():
    'Jean Dupont'``): the line keeps the type and the traceback's frames (file, line, code), not that text."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, MALFORMED) and not isinstance(exc, ServiceError):
            frames = "".join(traceback.format_tb(record.exc_info[2]))
            record.msg, record.args = "error handling worker %s: %s (its text withheld: it may quote the input)\n%s", (
                record.args[0] if record.args else "", type(exc).__name__, frames)
            record.exc_info = record.exc_text = None
        return True


logging.getLogger("nameko.containers").addFilter(WithheldMessages())


def typed(worker_ctx, exc_info):
    if exc_info is None or not isinstance(exc_info[1], MALFORMED):
        return exc_info
    log.warning("malformed arguments to %s: %s", worker_ctx.entrypoint.method_name, exc_info[0].__name__)
    refused = ValidationFailed("Les données envoyées ne sont pas valides.", {})
    return type(refused), refused, None


class RpcConsumer(nameko.rpc.RpcConsumer):
    """nameko's, replying through Replies; also answers the calls refused before any worker runs
    (unknown method, wrong arguments). Finds a call's method in a table (nameko formats the routing key
    of every method of the service to find it: 74 in accounts)."""
    replies = Replies()

    def __init__(self):
        super().__init__()
        self._by_key = None         # routing key -> Rpc, made at the first call after a change

    def register_provider(self, provider):
        super().register_provider(provider)
        self._by_key = None

    def unregister_provider(self, provider):
        super().unregister_provider(provider)
        self._by_key = None

    def get_provider_for_method(self, routing_key):
        by_key = self._by_key
        if by_key is None:
            by_key = self._by_key = {f"{self.container.service_name}.{p.method_name}": p for p in self._providers}
        try:
            return by_key[routing_key]
        except KeyError:
            raise MethodNotFound(routing_key.split(".")[-1]) from None

    def handle_result(self, message, result, exc_info):
        try:
            result, exc_info = self.replies.send(message, result, exc_info)
        except LOST_BROKER as exc:
            log.warning("reply to %s lost, broker unreachable: %r", message.delivery_info.get("routing_key"), exc)
            return result, exc_info
        try:
            self.queue_consumer.ack_message(message)
        except LOST_BROKER as exc:
            # nameko's ack ignores amqp's ConnectionError only: a socket reset by a broker going away raised
            # from the worker's thread and killed the whole service (tests/faults/test_broker_restart.py).
            # Unacked, the call is delivered again; the calls that change something carry their keys.
            log.warning("call %s answered but not acknowledged, broker unreachable: %r",
                        message.delivery_info.get("routing_key"), exc)
        return result, exc_info


class Rpc(nameko.rpc.Rpc):
    rpc_consumer = RpcConsumer()

    def __init__(self, expected_exceptions=EXPECTED, **kwargs):
        # The typed refusals of contracts.errors are answers, not failures: every method expects them.
        super().__init__(expected_exceptions=expected_exceptions, **kwargs)
        self._signature = None

    def check_signature(self, args, kwargs):
        if self._signature is None:
            self._signature = inspect.signature(getattr(self.container.service_cls, self.method_name))
        try:
            self._signature.bind(None, *args, **kwargs)      # None: the unbound method's ``self``
        except TypeError as exc:
            raise IncorrectSignature(f"{self.method_name}(): {exc}") from None

    def handle_result(self, message, worker_ctx, result, exc_info):
        return super().handle_result(message, worker_ctx, result, typed(worker_ctx, exc_info))


rpc = Rpc.decorator
