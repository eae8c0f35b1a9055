"""Prometheus metrics of a nameko service (prometheus_client), on its own port, never on the broker.

``Metrics(*probes)`` is a dependency of each service class. It times every worker and counts it by
outcome: an RPC call is ``ok``, ``refused`` (a typed refusal of contracts.errors: an answer, counted by
its class in ``ep_rpc_refusals_total``) or ``failed`` (anything else: a bug, a database gone); a timer
(the sweeps, the outbox relays, the email delivery) is a run, with its duration and the time of its last
success; an event handler is counted as handled or failed. Domain modules count what happens where it
happens (``EMAILS``, ``SCANS``, ``LOGIN_FAILURES``, ``LOGIN_LOCKS``, ``SWEEP_ITEMS``, defined here once).

Gauges are measured when Prometheus scrapes, by the ``probes``: ``probe(session)`` yields ``Gauge``s
read from the service's database (outbox backlogs and ages, open sessions) or from a dependency
(clamd answering). The service name is added to every gauge.

The HTTP server (prometheus_client's, a green thread under eventlet) listens on
``<SERVICE>_METRICS_PORT`` at ``EP_METRICS_ADDRESS`` (services.common.config): a port of its own,
never published by the public site. Unset, no server is started (tests of one service, several
instances on one machine). Labels are bounded by the code (service, method, outcome, error class,
step): no user id, no address, no personal data.
"""
import logging
import time
from datetime import datetime, timezone
from typing import NamedTuple

import nameko.events
import nameko.rpc
import nameko.timer
import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge as _Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily

from contracts.errors import EXPECTED
from services.common import config, event_outbox
from services.common.db import Database

log = logging.getLogger(__name__)

RPC_CALLS = Counter("ep_rpc_calls", "Appels RPC traités, par service, méthode et issue (ok, refused, failed)",
                    ["service", "method", "outcome"])
RPC_REFUSALS = Counter("ep_rpc_refusals", "Refus typés (contracts.errors) rendus, par service, méthode et erreur",
                       ["service", "method", "error"])
RPC_DURATION = Histogram("ep_rpc_duration_seconds", "Durée des appels RPC dans le service", ["service", "method"])
EVENTS_HANDLED = Counter("ep_events_handled", "Événements reçus et traités, par service, gestionnaire et issue",
                         ["service", "handler", "outcome"])
SWEEP_RUNS = Counter("ep_sweep_runs", "Tours des tâches planifiées (timers), par issue", ["service", "sweep", "outcome"])
SWEEP_DURATION = Histogram("ep_sweep_duration_seconds", "Durée d'un tour de tâche planifiée", ["service", "sweep"],
                           buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900))
SWEEP_LAST_SUCCESS = _Gauge("ep_sweep_last_success_timestamp_seconds",
                            "Fin du dernier tour réussi d'une tâche planifiée (horodatage Unix)", ["service", "sweep"])
SWEEP_ITEMS = Counter("ep_sweep_items", "Ce que les tâches planifiées ont fait : éléments traités par étape",
                      ["service", "step"])
EMAILS = Counter("ep_emails", "Courriels remis au serveur SMTP (sent), abandonnés (failed), à retenter (retried)",
                 ["outcome"])
SCANS = Counter("ep_scans", "Analyses antivirus des fichiers reçus, par résultat (clean, infected, unavailable)",
                ["outcome"])
LOGIN_FAILURES = Counter("ep_login_failures", "Échecs de mot de passe ou de code, par action", ["action"])
LOGIN_LOCKS = Counter("ep_login_locks", "Verrouillages après trop d'échecs, par action", ["action"])

for _outcome in ("sent", "failed", "retried"):
    EMAILS.labels(_outcome)
for _outcome in ("clean", "infected", "unavailable"):
    SCANS.labels(_outcome)
for _action in ("login_failed", "second_factor_failed", "reauthentication_failed", "password_change_failed"):
    LOGIN_FAILURES.labels(_action)
    LOGIN_LOCKS.labels(_action)


class Gauge(NamedTuple):
    """One value measured at scrape time; the service's name is added to ``labels``."""
    name: str
    help: str
    labels: dict
    value: float


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def outbox_probe(outbox: str, model, lease_seconds, *pending):
    """The backlog of an outbox table ``model`` (rows matching ``pending``, every row when none): how many,
    the age of the oldest, how long the most overdue one has been due, and the lease (seconds) a sender
    holds a row for: a due row older than its lease means nobody is sending."""

    def probe(session):
        now = utcnow()
        count, oldest_age = event_outbox.backlog(session, model, *pending)
        due = session.scalar(sa.select(sa.func.min(model.next_attempt_at))
                             .where(*pending, model.next_attempt_at <= now))
        labels = {"outbox": outbox}
        yield Gauge("ep_outbox_backlog", "Lignes en attente dans une outbox", labels, count)
        yield Gauge("ep_outbox_oldest_age_seconds", "Âge de la plus ancienne ligne en attente (0 : vide)", labels,
                    oldest_age or 0)
        yield Gauge("ep_outbox_oldest_due_seconds", "Depuis combien de temps la ligne la plus en retard est due "
                    "(0 : aucune)", labels, (now - due).total_seconds() if due else 0)
        yield Gauge("ep_outbox_lease_seconds", "Réservation d'une ligne par l'instance qui l'envoie", labels,
                    lease_seconds())

    return probe


def event_outbox_probe(model):
    """The events a service has written and not yet handed to the broker (services.common.event_outbox)."""
    return outbox_probe("events", model, event_outbox.LEASE.total_seconds)


class _Probes:
    """A prometheus_client collector of the gauges of ``probes``, read in one database session."""

    def __init__(self, service: str, sessions, probes):
        self.service, self.sessions, self.probes = service, sessions, probes

    def collect(self):
        families = {}
        session = self.sessions()
        try:
            for probe in self.probes:
                for gauge in probe(session):
                    labels = {"service": self.service, **gauge.labels}
                    family = families.setdefault(gauge.name, GaugeMetricFamily(gauge.name, gauge.help,
                                                                                labels=list(labels)))
                    family.add_metric(list(labels.values()), float(gauge.value))
        except Exception:                       # a scrape never breaks the service; the gauges are left out
            log.exception("metrics probes failed")
            return []
        finally:
            session.close()
        return list(families.values())


class _Everything:
    """The process-wide counters and histograms (prometheus_client's default registry)."""

    def collect(self):
        return REGISTRY.collect()


def _outcome(exc_info) -> str:
    if exc_info is None:
        return "ok"
    return "refused" if isinstance(exc_info[1], EXPECTED) else "failed"


class Metrics(DependencyProvider):
    """Times and counts every worker of the service; serves /metrics on the service's own port."""

    def __init__(self, *probes):
        self.probes = probes

    def setup(self):
        self.service = self.container.service_name
        self.started = {}
        self.children = {}      # (method, outcome) -> its counter and histogram children, looked up once
        self.server = None
        for entrypoint in self.container.entrypoints:
            if isinstance(entrypoint, nameko.rpc.Rpc):        # every method present from the first scrape
                for outcome in ("ok", "refused", "failed"):
                    RPC_CALLS.labels(self.service, entrypoint.method_name, outcome)
            elif isinstance(entrypoint, nameko.timer.Timer):
                SWEEP_RUNS.labels(self.service, entrypoint.method_name, "ok")
                SWEEP_RUNS.labels(self.service, entrypoint.method_name, "failed")

    def start(self):
        port = config.metrics_port(self.service)
        if not port:
            return
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Everything())
        database = next((d for d in self.container.dependencies if isinstance(d, Database)), None)
        if database is not None and self.probes:
            registry.register(_Probes(self.service, database.sessions, self.probes))
        try:
            self.server, _thread = start_http_server(port, config.metrics_address(), registry)
        except OSError as exc:      # another process has the port: the service still serves, its target is down
            log.error("metrics not served on port %s: %r", port, exc)

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def get_dependency(self, worker_ctx):
        return None

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        entrypoint, outcome = worker_ctx.entrypoint, _outcome(exc_info)
        method = entrypoint.method_name
        if isinstance(entrypoint, nameko.rpc.Rpc):
            calls, duration = self._rpc_children(method, outcome)
            calls.inc()
            duration.observe(elapsed)
            if outcome == "refused":
                RPC_REFUSALS.labels(self.service, method, type(exc_info[1]).__name__).inc()
        elif isinstance(entrypoint, nameko.timer.Timer):
            SWEEP_RUNS.labels(self.service, method, "ok" if outcome == "ok" else "failed").inc()
            SWEEP_DURATION.labels(self.service, method).observe(elapsed)
            if outcome == "ok":
                SWEEP_LAST_SUCCESS.labels(self.service, method).set(time.time())
        elif isinstance(entrypoint, nameko.events.EventHandler):
            EVENTS_HANDLED.labels(self.service, method, "ok" if outcome == "ok" else "failed").inc()

    def worker_teardown(self, worker_ctx):
        self.started.pop(worker_ctx, None)

    def _rpc_children(self, method: str, outcome: str):
        """Every call counts in these two series: ``labels()`` (label checks, a lock) once per series, not per call."""
        children = self.children.get((method, outcome))
        if children is None:
            children = self.children[method, outcome] = (RPC_CALLS.labels(self.service, method, outcome),
                                                          RPC_DURATION.labels(self.service, method))
        return children


def did(service: str, step: str, count) -> None:
    """What a sweep's ``step`` did (an int: rows warned, purged, queued…); anything else counts nothing."""
    if isinstance(count, int) and not isinstance(count, bool):
        SWEEP_ITEMS.labels(service, step).inc(count)
