"""Prometheus metrics of the web (prometheus_client): HTTP requests by route and status, with their
duration, and the web's RPC calls by service, method and outcome, as the web saw them (a service that
does not answer in time shows here only).

Routes are Flask's rules (``/activation/<token>``), never the paths: bounded, and no token or name
from a URL reaches the metrics. Under gunicorn the workers write their counts in
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, the directory emptied when gunicorn
starts) and the master serves their sum on ``WEB_METRICS_PORT`` (services/web/gunicorn_conf.py): a port of
its own, not a route of the public site.
"""
import logging
import time
from contextlib import contextmanager

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from contracts.errors import EXPECTED, ServiceUnavailable
from services.web import config

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("ep_http_requests", "Requêtes HTTP servies par le web, par route, méthode et statut",
                        ["route", "method", "status"])
HTTP_DURATION = Histogram("ep_http_request_duration_seconds", "Durée des requêtes HTTP servies par le web",
                          ["route", "method"])
WEB_RPC_CALLS = Counter("ep_web_rpc_calls", "Appels RPC du web, par service, méthode et issue "
                        "(ok, refused, unavailable, failed)", ["service", "method", "outcome"])
WEB_RPC_DURATION = Histogram("ep_web_rpc_duration_seconds", "Durée des appels RPC vus du web", ["service", "method"])
UNMATCHED = "<aucune>"          # no route: a 404, or a method not allowed


def init_app(app: Flask) -> None:
    """Registered first, so every request is timed, those refused by a later guard included."""
    app.before_request(_start)
    app.after_request(_count)


def _start():
    g.metrics_started = time.perf_counter()


def _count(response):
    started = g.pop("metrics_started", None)
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    HTTP_REQUESTS.labels(route, request.method, str(response.status_code)).inc()
    if started is not None:
        HTTP_DURATION.labels(route, request.method).observe(time.perf_counter() - started)
    return response


@contextmanager
def rpc_call(service: str, method: str, started: float | None = None):
    """Around one call of the web's RPC client: its outcome and duration (from ``started``, its sending,
    when the reply is read later: services.web.rpc.Later)."""
    started, outcome = started or time.perf_counter(), "failed"
    try:
        yield
        outcome = "ok"
    except ServiceUnavailable:
        outcome = "unavailable"
        raise
    except EXPECTED:
        outcome = "refused"
        raise
    finally:
        WEB_RPC_CALLS.labels(service, method, outcome).inc()
        WEB_RPC_DURATION.labels(service, method).observe(time.perf_counter() - started)


def serve_workers_metrics() -> None:
    """In gunicorn's master: the sum of every worker's metrics, on the web's metrics port."""
    port = config.metrics_port()
    if not port:
        return
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    try:
        start_http_server(port, config.metrics_address(), registry)
    except OSError as exc:          # the site still serves; Prometheus sees the target down
        log.error("web metrics not served on port %s: %r", port, exc)


def worker_gone(pid: int) -> None:
    if config.metrics_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
