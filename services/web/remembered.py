"""Slow-moving answers of the services kept a few seconds per web process, so
that what every page shows (maintenance banner, support contacts) costs no RPC
call per page, and a service that is down leaves the last answer in place."""
import time

from contracts.errors import ServiceError, ServiceUnavailable

_answers: dict = {}     # key -> (fetched at, value)
_RAISE = object()


def remembered(key, ttl: float, fetch, default=_RAISE):
    """``fetch()``'s value, at most ``ttl`` seconds old; when the service fails, the last
    known value, else ``default`` (a degraded footer or banner, never a broken page) or,
    without a default, the service's error."""
    known = _answers.get(key)
    if known and time.monotonic() - known[0] < ttl:
        return known[1]
    try:
        value = fetch()
    except (ServiceUnavailable, ServiceError):
        if not known and default is _RAISE:
            raise
        value = known[1] if known else default
    _answers[key] = (time.monotonic(), value)
    return value
