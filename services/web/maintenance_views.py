"""Maintenance windows: the banner on every page before and during a window,
the maintenance page (with the caisse's local referents, the other channel)
while a window covers the whole of the user's portal, and the screens where
the national admin (any scope) or a caisse agent (their caisse) announces,
moves or cancels a window. The notifier owns the windows and the emails.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, render_template, request, url_for
from flask_login import current_user, login_required

from contracts.errors import NotAuthorized, NotFound, RuleViolation, ServiceUnavailable, ValidationFailed
from services.web import rpc
from services.web.remembered import remembered
from services.web.habilitations import AGENTS, done, profiles, register_refusal_pages

bp = Blueprint("maintenance", __name__)
register_refusal_pages(bp)

PARIS = ZoneInfo("Europe/Paris")
# Reachable during a maintenance: signing in and out, assets, health, and these screens.
ALWAYS_OPEN = {"static", "vendor.asset", "home.health", "auth.login", "auth.logout", "auth.login_choice",
               "maintenance.index", "maintenance.edit", "maintenance.cancel"}
CONTACTS_CACHE_SECONDS = 300


def _windows_for(caisse_code: str | None) -> list[dict]:
    """One notifier call per scope every few seconds; the notifier down must not take the portal down."""
    return remembered(("maintenance", caisse_code), current_app.config["EP_MAINTENANCE_CACHE_SECONDS"],
                      lambda: rpc.call("notifier", "current_maintenance", caisse_code, who={}, timeout=1), [])


def user_caisses() -> list[str | None]:
    """The caisses whose windows concern the visitor; None stands for national windows only."""
    if not current_user.is_authenticated:
        return [None]
    if current_user.profile == "agent_caisse":
        return [current_user.caisse_code]
    return [c["code"] for c in current_user.caisses or []] or [None]


def current_windows() -> list[dict]:
    if "maintenance_windows" not in g:
        seen = {}
        for code in user_caisses():
            for window in _windows_for(code):
                seen[window["id"]] = window
        g.maintenance_windows = sorted(seen.values(), key=lambda w: w["starts_at"])
    return g.maintenance_windows


def _portal_closed(windows: list[dict]) -> bool:
    """Closed when a running window is national or covers every caisse of the user."""
    running = {w["caisse_code"] for w in windows if w["ongoing"]}
    if None in running:
        return True
    caisses = {c for c in user_caisses() if c}
    return bool(caisses) and caisses <= running


def _referents(windows: list[dict]) -> list[dict]:
    codes = {c for c in user_caisses() if c} or {w["caisse_code"] for w in windows if w["caisse_code"]}
    return caisse_contacts(sorted(codes))


def caisse_contacts(codes) -> list[dict]:
    """The caisses' local referents: the footer of every page and the maintenance page."""
    found = (remembered(("contacts", code), CONTACTS_CACHE_SECONDS,
                        lambda: rpc.call("accounts", "caisse_contacts", code, who={}, timeout=1), None) for code in codes)
    return [contacts for contacts in found if contacts]


def close_during_maintenance():
    """before_request: the maintenance page instead of the portal while a window runs.
    The national admin keeps access (to follow or end the operation)."""
    if request.endpoint in ALWAYS_OPEN or request.endpoint is None:
        return None
    if current_user.is_authenticated and current_user.profile == "admin_national":
        return None
    windows = current_windows()
    if not _portal_closed(windows):
        return None
    return render_template("maintenance/closed.html", windows=[w for w in windows if w["ongoing"]],
                           contacts=_referents(windows)), 503


def init_app(app):
    app.config.setdefault("EP_MAINTENANCE_CACHE_SECONDS", 10)
    app.before_request(close_during_maintenance)
    app.context_processor(lambda: {"maintenance_windows": current_windows,
                                   "support_contacts": lambda: caisse_contacts(c for c in user_caisses() if c)})


# --- announcing a window ------------------------------------------------------------------

def _as_utc(local: str) -> str:
    """<input type=datetime-local> gives Paris wall-clock time; the notifier stores UTC."""
    try:
        moment = datetime.fromisoformat(local.strip())
    except ValueError:
        return local                               # the notifier says what is wrong
    return moment.replace(tzinfo=PARIS).isoformat() if moment.tzinfo is None else moment.isoformat()


def _local(iso: str) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def _posted() -> dict:
    data = {"starts_at": _as_utc(request.form.get("starts_at", "")), "ends_at": _as_utc(request.form.get("ends_at", "")),
            "message": request.form.get("message", "")}
    if current_user.profile == "admin_national":
        data["caisse_code"] = request.form.get("caisse_code") or None
    return data


def _caisses() -> list[dict]:
    if current_user.profile != "admin_national":
        return []
    try:
        return rpc.call("accounts", "list_caisses")
    except ServiceUnavailable:
        return []


def _page(errors=None, values=None, editing=None, status=200):
    return render_template("maintenance/index.html", windows=rpc.call("notifier", "list_maintenances"),
                           caisses=_caisses(), errors=errors or {}, values=values or {}, editing=editing), status


@bp.route("/maintenances", methods=["GET", "POST"])
@login_required
@profiles(*AGENTS)
def index():
    if request.method == "POST":
        try:
            rpc.call("notifier", "schedule_maintenance", _posted())
        except ValidationFailed as exc:
            return _page(exc.fields or {"_form": exc.message}, request.form, status=400)
        except (NotAuthorized, RuleViolation) as exc:
            return _page({"_form": exc.message}, request.form, status=400)
        return done(url_for("maintenance.index"), "La maintenance est annoncée : les utilisateurs concernés "
                                                  "sont prévenus par courriel et par un bandeau.")
    return _page()


@bp.route("/maintenances/<int:maintenance_id>", methods=["GET", "POST"])
@login_required
@profiles(*AGENTS)
def edit(maintenance_id):
    window = next((w for w in rpc.call("notifier", "list_maintenances") if w["id"] == maintenance_id), None)
    if window is None:              # another caisse's window: out of reach, as the service would say
        raise NotFound("Maintenance introuvable.")
    if not window["editable"]:
        return done(url_for("maintenance.index"), "Cette maintenance ne peut pas être modifiée.", "error")
    if request.method == "POST":
        try:
            rpc.call("notifier", "update_maintenance", maintenance_id, _posted())
        except ValidationFailed as exc:
            return _page(exc.fields or {"_form": exc.message}, request.form, window, status=400)
        except (NotAuthorized, RuleViolation) as exc:
            return _page({"_form": exc.message}, request.form, window, status=400)
        return done(url_for("maintenance.index"), "La maintenance est modifiée : les utilisateurs sont prévenus "
                                                  "du changement.")
    values = {"starts_at": _local(window["starts_at"]), "ends_at": _local(window["ends_at"]),
              "message": window["message"], "caisse_code": window["caisse_code"] or ""}
    return _page(values=values, editing=window)


@bp.route("/maintenances/<int:maintenance_id>/annuler", methods=["POST"])
@login_required
@profiles(*AGENTS)
def cancel(maintenance_id):
    try:
        rpc.call("notifier", "cancel_maintenance", maintenance_id)
    except (NotAuthorized, RuleViolation) as exc:
        return done(url_for("maintenance.index"), exc.message, "error")
    return done(url_for("maintenance.index"), "La maintenance est annulée.")
