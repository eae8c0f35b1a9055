"""The correlation id of each web request (contracts/logs.py).

Created before anything else of the request runs, or taken from the request's ``X-Request-ID`` when a
proxy in front set one of the expected shape (hexadecimal and dashes only); every log line the request
writes carries it, every RPC call sends it to the services. The answer carries it back
(``X-Request-ID``, which gunicorn's access line also reads), and the error pages show it as
« Référence de l'incident » (``incident_reference`` in the templates): what a person reads to support
is what support searches the logs for.
"""
from flask import Flask, g, request

from contracts import logs


def init_app(app: Flask) -> None:
    """First of the app's ``before_request``: a refusal by a later one (a flood) has its id too."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_answer)
    app.teardown_request(_end)
    app.context_processor(lambda: {"incident_reference": g.get("correlation_id")})


def _start() -> None:
    g.correlation_id = logs.accept(request.headers.get(logs.HEADER))
    logs.bind(g.correlation_id)


def _answer(response):
    if correlation_id := g.get("correlation_id"):
        response.headers[logs.HEADER] = correlation_id
    return response


def _end(exc) -> None:
    logs.bind(None)          # the thread serves other requests next
