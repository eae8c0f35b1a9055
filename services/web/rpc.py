"""The web's one way to reach the services.

A process-wide pooled client (contracts.rpc) with a timeout on every call;
the signed identity of the logged-in user goes with each call. When a service
does not answer, ``ServiceUnavailable`` propagates to the error handler
registered here, which renders the "service momentanément indisponible"
partial for that region only (or a full page for a full-page request).
"""
import logging
import time
from collections.abc import Mapping

from flask import current_app, g, render_template
from flask_login import current_user

from contracts import identity
from contracts.errors import ServiceUnavailable
from contracts.rpc import RpcClient
from services.web import metrics, session_cache

log = logging.getLogger(__name__)


class Services:
    def __init__(self, app=None):
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        self.client = RpcClient(app.config["AMQP_URI"], timeout=app.config["EP_RPC_TIMEOUT"])
        app.extensions["services"] = self
        app.teardown_request(_abandon_unread)
        app.register_error_handler(ServiceUnavailable, _unavailable)

    def call(self, service, method, *args, who=None, timeout=None, **kwargs):
        """``who``: the identity to act as; by default the logged-in user, if any ({}: anonymous)."""
        with metrics.rpc_call(service, method):
            answer = self.client.call(service, method, *args, identity=self._token(service, method, who),
                                      timeout=timeout, **kwargs)
        session_cache.after_call(service, method)
        return answer

    def send(self, service, method, *args, who=None, timeout=None, **kwargs):
        """The call published now, read later (``Later``)."""
        started = time.perf_counter()
        try:
            pending = self.client.send(service, method, *args, identity=self._token(service, method, who),
                                       timeout=timeout, **kwargs)
        except Exception:
            with metrics.rpc_call(service, method, started):     # counted as failed, as a call would be
                raise
        return pending, started

    @staticmethod
    def _token(service, method, who):
        if who is None and current_user and current_user.is_authenticated:
            who = current_user.identity
        return identity.sign(who, current_app.config["EP_RPC_SECRET"], identity.audience(service, method)) if who else None


def call(service, method, *args, **kwargs):
    return current_app.extensions["services"].call(service, method, *args, **kwargs)


class Later(Mapping):
    """A read sent now and answered where the template first needs it: the page renders around it
    meanwhile (the layout, the filters' form), then waits for the rows. ``refused(exc)`` stands for
    the answer when the service refuses the call with one of ``refusals``; a service that does not answer
    raises ServiceUnavailable from the rendering, whose handler shows the « indisponible » page as
    before. Not read by the end of the request: abandoned (its link closed, never pooled)."""

    def __init__(self, service, method, *args, refusals: tuple, refused, **kwargs):
        self._service, self._method, self._refusals, self._refused = service, method, refusals, refused
        self._pending, self._started = current_app.extensions["services"].send(service, method, *args, **kwargs)
        self._answer = None
        g.setdefault("pending_calls", []).append(self._pending)

    def answer(self) -> dict:
        if self._answer is None:
            try:
                with metrics.rpc_call(self._service, self._method, self._started):
                    self._answer = self._pending.result()
            except self._refusals as exc:
                self._answer = self._refused(exc)
        return self._answer

    def __getitem__(self, key):
        return self.answer()[key]

    def __iter__(self):
        return iter(self.answer())

    def __len__(self):
        return len(self.answer())


def _abandon_unread(_exc=None):
    for pending in g.pop("pending_calls", ()):
        pending.abandon()


def broker_reachable() -> bool:
    return current_app.extensions["services"].client.reachable()


def _unavailable(exc: ServiceUnavailable):
    from htmx_flask import request

    log.warning("service unavailable: %s", exc)
    if request.htmx:
        # 200 so htmx swaps the partial into the region that asked for it.
        return render_template("partials/indisponible.html", service=exc.service), 200
    return render_template("indisponible.html", service=exc.service), 503
