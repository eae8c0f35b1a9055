"""Each worker's correlation id (contracts/logs.py), and one log line per call or event handled.

``correlation = Correlation()`` in each service class. A call from the web, or an event relayed from
another service's outbox, brings the id of the web request that caused it (the ``nameko.correlation_id``
header, nameko's context data); a timer's run, or a call without one, gets a new id. Every line the
worker logs carries it, as do the RPC calls it makes (contracts/rpc.py), the events it emits
(services/common/event_outbox.py) and the emails it queues (services/notifier/outbox.py).

The line written when a call or an event handler ends names the entrypoint, its duration and its
outcome (``ok``, or the type of the refusal or error), never its arguments: they may hold personal data.
Timer runs (some every second) write no such line; what they log themselves carries their id.
"""
import logging
import time
import weakref

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

from contracts import logs

log = logging.getLogger(__name__)


class Correlation(DependencyProvider):
    def __init__(self):
        self._started = weakref.WeakKeyDictionary()

    def worker_setup(self, worker_ctx):
        # Runs in the worker's own greenthread, whose context no other worker shares.
        correlation_id = logs.accept(worker_ctx.data.get(logs.CONTEXT_KEY))
        worker_ctx.data[logs.CONTEXT_KEY] = correlation_id
        logs.bind(correlation_id)
        self._started[worker_ctx] = time.monotonic()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        entrypoint = worker_ctx.entrypoint
        if not isinstance(entrypoint, (Rpc, EventHandler)):
            return
        started = self._started.get(worker_ctx, time.monotonic())
        name = (f"{entrypoint.source_service}.{entrypoint.event_type}" if isinstance(entrypoint, EventHandler)
                else f"{worker_ctx.service_name}.{entrypoint.method_name}")
        log.info("%s %s", "rpc" if isinstance(entrypoint, Rpc) else "event", name, extra={
            "entrypoint": name, "handler": entrypoint.method_name,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "outcome": "ok" if exc_info is None else exc_info[0].__name__})

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
        logs.bind(None)
