"""Home pages per profile, their HTMX fragments, and the health endpoint."""
from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from contracts.errors import ServiceError, ServiceUnavailable
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, GESTIONNAIRE, TECHNICIEN
from services.web import charts, rpc
from services.web.toolkit import partial_or_page

bp = Blueprint("home", __name__)

HOME_TEMPLATES = {
    ADMIN_NATIONAL: "home_admin.html",
    AGENT_CAISSE: "home_agent.html",
    GESTIONNAIRE: "home_partner.html",
    TECHNICIEN: "home_partner.html",
}


@bp.route("/")
@login_required
def index():
    return render_template(HOME_TEMPLATES[current_user.profile])


@bp.route("/fragments/demandes-recentes")
@login_required
def recent_requests():
    rows = rpc.call("requests", "recent_for_my_partner", 10)
    return partial_or_page("partials/recent_requests.html", "Demandes récentes", rows=rows)


@bp.route("/fragments/file-attente")
@login_required
def caisse_queue():
    overview = rpc.call("requests", "caisse_overview")
    overview["charts"] = {"kind": charts.stacked_weeks(overview["weeks"], "by_kind", overview["kinds"]),
                          "status": charts.stacked_weeks(overview["weeks"], "by_status", overview["statuses"])}
    return partial_or_page("partials/caisse_overview.html", "Demandes de la caisse", overview=overview)


@bp.route("/sante")
def health():
    """The web is up when it can render this; services are reported, not required."""
    services = {}
    for name in ("accounts", "requests", "notifier"):
        try:
            services[name] = rpc.call(name, "health", timeout=2)["status"]
        except (ServiceUnavailable, ServiceError):
            services[name] = "indisponible"
    return jsonify({"web": "ok", "services": services})


# For an orchestrator (Kubernetes probes, the compose health check: deploy/healthcheck.py).
@bp.route("/sante/vivant")
def alive():
    """Liveness: this process answers. Nothing else is asked: an outage elsewhere must not get the web restarted."""
    return jsonify({"web": "ok"})


@bp.route("/sante/pret")
def ready():
    """Readiness: the broker is reachable, so the web can reach the services. Not the services themselves:
    a service down degrades its own screens only (the supervision screen shows which)."""
    broker = rpc.broker_reachable()
    status = "ok" if broker else "indisponible"
    return jsonify({"web": status, "checks": {"broker": status}}), 200 if broker else 503
