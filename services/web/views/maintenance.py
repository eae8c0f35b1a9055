"""The screens where the national admin (any scope) or a caisse agent (their caisse)
announces, moves or cancels a maintenance window. The notifier owns the windows and the
emails; what every page shows of them is maintenance_windows.py."""
from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from contracts.dates import paris_wall_clock_to_utc, utc_to_paris_wall_clock
from contracts.errors import NotFound, ServiceUnavailable
from contracts.profiles import ADMIN_NATIONAL, AGENTS
from services.web import rpc
from services.web.toolkit import REFUSALS, PageForm, action_done, done, profiles, report_refusal

bp = Blueprint("maintenance", __name__)

FIELDS = ("starts_at", "ends_at", "message")


def _as_utc(local: str) -> str:
    """<input type=datetime-local> gives Paris wall-clock time; the notifier stores UTC.
    An unreadable value, or one the shift to UTC takes out of the calendar (year 1, 9999), goes as typed:
    the notifier says what is wrong with it (a field error, never a 500 here)."""
    return paris_wall_clock_to_utc(local) or local


def _posted() -> dict:
    data = {"starts_at": _as_utc(request.form.get("starts_at", "")), "ends_at": _as_utc(request.form.get("ends_at", "")),
            "message": request.form.get("message", "")}
    if current_user.profile == ADMIN_NATIONAL:
        data["caisse_code"] = request.form.get("caisse_code") or None
    return data


def _caisses() -> list[dict]:
    if current_user.profile != ADMIN_NATIONAL:
        return []
    try:
        return rpc.call("accounts", "list_caisses")
    except ServiceUnavailable:
        return []


def _page(form: PageForm | None = None, editing=None, status=200):
    # "is None", not "or": a PageForm without errors is falsy, and the edit form's values would go.
    form = PageForm(FIELDS) if form is None else form
    return render_template("maintenance/index.html", windows=rpc.call("notifier", "list_maintenances"),
                           caisses=_caisses(), form=form, editing=editing), status


def _save(send, success: str, editing=None):
    """The posted window sent by ``send(data)``; refused: the form again with what is wrong."""
    try:
        send(_posted())
    except REFUSALS as exc:
        form = PageForm(FIELDS, request.form)
        report_refusal(form, exc)
        return _page(form, editing, status=400)
    return done(url_for("maintenance.index"), success)


@bp.route("/maintenances", methods=["GET", "POST"])
@profiles(*AGENTS)
def index():
    if request.method == "POST":
        return _save(lambda data: rpc.call("notifier", "schedule_maintenance", data),
                     "La maintenance est annoncée : les utilisateurs concernés sont prévenus par courriel et par un "
                     "bandeau.")
    return _page()


@bp.route("/maintenances/<int:maintenance_id>", methods=["GET", "POST"])
@profiles(*AGENTS)
def edit(maintenance_id):
    window = next((w for w in rpc.call("notifier", "list_maintenances") if w["id"] == maintenance_id), None)
    if window is None:              # another caisse's window: out of reach, as the service would say
        raise NotFound("Maintenance introuvable.")
    if not window["editable"]:
        return done(url_for("maintenance.index"), "Cette maintenance ne peut pas être modifiée.", "error")
    if request.method == "POST":
        return _save(lambda data: rpc.call("notifier", "update_maintenance", maintenance_id, data),
                     "La maintenance est modifiée : les utilisateurs sont prévenus du changement.", window)
    values = {"starts_at": utc_to_paris_wall_clock(window["starts_at"]),
              "ends_at": utc_to_paris_wall_clock(window["ends_at"]),
              "message": window["message"], "caisse_code": window["caisse_code"] or ""}
    return _page(PageForm(FIELDS, values), window)


@bp.route("/maintenances/<int:maintenance_id>/annuler", methods=["POST"])
@profiles(*AGENTS)
def cancel(maintenance_id):
    return action_done(url_for("maintenance.index"),
                       lambda: rpc.call("notifier", "cancel_maintenance", maintenance_id),
                       "La maintenance est annulée.")
