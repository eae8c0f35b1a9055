"""The logs of every process: one JSON object a line, and the correlation id that ties together
the lines one web request caused, in the web, the services and the notifier's sends.

A line: ``{"time", "level", "process", "logger", "message", "correlation_id", …}`` (python-json-logger),
plus whatever fields the call passed in ``extra``; a trace is in ``exc_info``, on the same line.
No personal data in any field (tests/test_personal_data_in_logs.py reads every line).

The correlation id is created by the web for each request (services/web/correlation.py), or taken
from the request's ``X-Request-ID`` when a proxy in front set one of the expected shape; it is sent
with each RPC call as the ``nameko.correlation_id`` header (contracts/rpc.py), read by each service's
worker (services/common/correlation.py), stored with the events the worker emits and sent with them,
so the notifier's handler and the email it queues carry it too. The web returns it to the browser
(``X-Request-ID``, « Référence de l'incident » on the error pages): support searches the logs for it.

Processes use it through ``handler(process)``: the web's gunicorn (services/web/gunicorn_conf.py) and
each service's ``LOGGING`` (services/*/config.yaml).
"""
import contextvars
import logging
import re
import sys
import threading
import uuid
from datetime import datetime, timezone

from pythonjsonlogger.json import JsonFormatter

HEADER = "X-Request-ID"
CONTEXT_KEY = "correlation_id"       # nameko context data: travels as the "nameko.correlation_id" header
# What an incoming id may be: hexadecimal and dashes (a UUID, a proxy's request id), nothing else:
# no text a client chose (a name, an address, a line break) can reach a log line through it.
_SHAPE = re.compile(r"[0-9A-Fa-f-]{16,64}")
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar(CONTEXT_KEY, default=None)


def new_id() -> str:
    return uuid.uuid4().hex


def accept(value) -> str:
    """``value`` when it has the shape of an id, else a new one."""
    return value if isinstance(value, str) and _SHAPE.fullmatch(value) else new_id()


def current() -> str | None:
    """The id of the request or worker this code runs for (None outside of one)."""
    return _current.get()


def bind(correlation_id: str | None) -> None:
    """Each web request (its thread) and each service worker (its greenthread) has its own context."""
    _current.set(correlation_id)


class CorrelationFilter(logging.Filter):
    """Puts the current id on each record, unless the call named one (``extra={"correlation_id": …}``:
    an email sent for the request that queued it, an access line written after the request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, CONTEXT_KEY, None) is None:
            record.correlation_id = _current.get()
        return True


class Formatter(JsonFormatter):
    def __init__(self, process: str):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                         static_fields={"process": process}, json_ensure_ascii=False)

    def formatTime(self, record, datefmt=None) -> str:
        # UTC, to the millisecond, with its offset: the lines of several hosts sort together.
        return datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")


def handler(process: str, stream=None) -> logging.Handler:
    """The JSON handler of a process (stderr by default). ``logging.config.dictConfig`` builds it from
    ``{"()": "contracts.logs.handler", "process": "accounts"}``. Warnings and uncaught exceptions, which
    Python would print as plain text, become JSON lines too."""
    json_handler = logging.StreamHandler(stream)
    json_handler.setFormatter(Formatter(process))
    json_handler.addFilter(CorrelationFilter())
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = lambda args: _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)
    return json_handler


def _log_uncaught(exc_type, exc_value, exc_traceback) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        return sys.__excepthook__(exc_type, exc_value, exc_traceback)
    logging.getLogger("uncaught").critical("uncaught exception", exc_info=(exc_type, exc_value, exc_traceback))
