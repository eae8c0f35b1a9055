"""Liveness and readiness of a service over HTTP, for an orchestrator (Kubernetes probes, the
compose stack's health checks): no broker needed to ask.

``GET /vivant`` (liveness): 200 as long as the process's event loop answers. Nothing else is
asked (no database, no broker): a database or broker outage must not get every instance
restarted, it makes them not ready. A hung loop (a blocking call holding the hub) answers
nothing, and the orchestrator restarts the process.

``GET /pret`` (readiness): 200 when the service can serve now: a fresh connection to its
database answers a query, a fresh connection to the broker opens (its own account, every node
of a failover list in turn), and whatever else a dependency declares (``ready_check()`` on a
dependency provider: requests' scanner pings clamd); else 503. The JSON body names each check
(``ok`` / ``indisponible``), never a secret nor an address.

Served by a green thread of the service's own container (not a nameko worker: a service
whose workers are all busy is still alive), on ``<SERVICE>_HEALTH_PORT``
(services.common.config.health_address); unset, no server. The ``health`` RPC
(services.common.health) stays: it proves the RPC path through the broker, which the web's
supervision screen uses.
"""
import json
import logging

import eventlet
import eventlet.wsgi
from kombu import Connection
from nameko.extensions import DependencyProvider

from contracts.broker import addresses
from services.common.config import health_address

log = logging.getLogger(__name__)
PROBE_TIMEOUT = 2          # seconds for each dependency's answer


def broker_ready(amqp_uri: str) -> bool:
    """A fresh AMQP connection opens with the service's own account (any node of the list)."""
    connection = Connection(amqp_uri, connect_timeout=PROBE_TIMEOUT)
    try:
        connection.ensure_connection(max_retries=len(addresses(amqp_uri)), interval_start=0, interval_step=0,
                                     timeout=PROBE_TIMEOUT * len(addresses(amqp_uri)))
        return True
    except Exception as exc:        # refused, timed out, bad credentials: not ready, whatever the reason
        log.warning("readiness: broker unreachable: %s", type(exc).__name__)
        return False
    finally:
        connection.release()


class Probes(DependencyProvider):
    """``/vivant`` and ``/pret`` of the service it is declared on (by services.common.health.Health)."""

    def setup(self):
        self.socket = None
        address = health_address(self.container.service_name)
        if address is None:
            return
        try:
            self.socket = eventlet.listen(address)
        except OSError as exc:       # a second instance on one machine: it serves, without probes
            log.warning("no health probes: %s:%s not available (%s)", *address, exc)

    def start(self):
        self.thread = None
        if self.socket is not None:
            self.thread = self.container.spawn_managed_thread(self._serve, identifier="health-probes")

    def _serve(self):
        eventlet.wsgi.server(self.socket, self.app, log_output=False, socket_timeout=PROBE_TIMEOUT * 5)

    def stop(self):
        if getattr(self, "thread", None) is not None:
            self.thread.kill()
            self.thread = None
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def kill(self):
        self.stop()

    def checks(self) -> dict:
        found = {"broker": broker_ready(self.container.config["AMQP_URI"])}
        for dependency in sorted(self.container.dependencies, key=lambda d: d.attr_name):
            if hasattr(dependency, "ready_check"):
                found.update(dependency.ready_check())
        return {name: "ok" if good else "indisponible" for name, good in found.items()}

    def app(self, wsgi_env, start_response):     # (not "environ": no environment variable is read here)
        path = wsgi_env.get("PATH_INFO", "")
        if wsgi_env.get("REQUEST_METHOD") not in ("GET", "HEAD") or path not in ("/vivant", "/pret"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        body = {"service": self.container.service_name, "status": "ok"}
        if path == "/pret":
            body["checks"] = self.checks()
            body["status"] = "ok" if set(body["checks"].values()) == {"ok"} else "indisponible"
        status = "200 OK" if body["status"] == "ok" else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
        return [json.dumps(body).encode()]
