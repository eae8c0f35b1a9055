"""``@rpc`` for the services: nameko's, surviving a broker that goes away mid-call.

In nameko 2.14 the reply is published from the worker's result handler; when the
broker is down at that moment (restart, failover, network cut) the publish fails
after its retries and the exception reaches the container, which kills the whole
service: every instance that was busy when RabbitMQ restarted would stop for good.
Here the lost reply is logged and dropped instead. The caller has already been told
"service indisponible" (its own timeout); the request message, never acknowledged,
goes back to the broker or expires with its TTL; and a retried write is safe
(idempotency keys, state-checked transitions). The consumer reconnects by itself
(kombu), so the service serves again as soon as the broker is back.
"""
import logging

import nameko.rpc
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)
LOST_BROKER = (OperationalError, AmqpConnectionError, ConnectionError, OSError)


class Rpc(nameko.rpc.Rpc):
    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except LOST_BROKER as exc:
            log.warning("reply to %s lost, broker unreachable: %r", worker_ctx.call_id, exc)
            return result, exc_info


rpc = Rpc.decorator
