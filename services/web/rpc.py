"""The web's one way to reach the services.

A process-wide pooled client (contracts.rpc) with a timeout on every call;
the signed identity of the logged-in user goes with each call. When a service
does not answer, ``ServiceUnavailable`` propagates to the error handler
registered here, which renders the "service momentanément indisponible"
partial for that region only (or a full page for a full-page request).
"""
import logging

from flask import current_app, render_template
from flask_login import current_user

from contracts import identity
from contracts.errors import ServiceUnavailable
from contracts.rpc import RpcClient
from services.web import metrics

log = logging.getLogger(__name__)


class Services:
    def __init__(self, app=None):
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        self.client = RpcClient(app.config["AMQP_URI"], timeout=app.config["EP_RPC_TIMEOUT"])
        app.extensions["services"] = self
        app.register_error_handler(ServiceUnavailable, _unavailable)

    def call(self, service, method, *args, who=None, timeout=None, **kwargs):
        """``who``: the identity to act as; by default the logged-in user, if any ({}: anonymous)."""
        if who is None and current_user and current_user.is_authenticated:
            who = current_user.identity
        token = identity.sign(who, current_app.config["EP_RPC_SECRET"], identity.audience(service, method)) if who else None
        with metrics.rpc_call(service, method):
            return self.client.call(service, method, *args, identity=token, timeout=timeout, **kwargs)


def call(service, method, *args, **kwargs):
    return current_app.extensions["services"].call(service, method, *args, **kwargs)


def broker_reachable() -> bool:
    return current_app.extensions["services"].client.reachable()


def _unavailable(exc: ServiceUnavailable):
    from htmx_flask import request

    log.warning("service unavailable: %s", exc)
    if request.htmx:
        # 200 so htmx swaps the partial into the region that asked for it.
        return render_template("partials/indisponible.html", service=exc.service), 200
    return render_template("indisponible.html", service=exc.service), 503
