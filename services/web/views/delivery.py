"""The delivery log of the caisse's emails (agents: their caisse's users; the
national admin: everyone) and the resend of a failed one."""
from flask import Blueprint, render_template, request, url_for

from contracts.errors import ValidationFailed
from contracts.profiles import AGENTS
from services.web import rpc
from services.web.toolkit import REFUSALS, done, profiles, refusal_message

bp = Blueprint("delivery", __name__)

FILTERS = ("status", "kind", "recipient")


def _filters() -> dict:
    return {k: value for k in FILTERS if (value := request.args.get(k, "").strip()[:254])}


@bp.route("/courriels")
@profiles(*AGENTS)
def index():
    filters, error = _filters(), None
    try:
        page = rpc.call("notifier", "delivery_log", filters, request.args.get("apres") or None)
    except ValidationFailed as exc:
        error = refusal_message(exc)
        page = {"rows": [], "next_cursor": None, "kinds": {}, "statuses": {}}
    context = {"page": page, "filters": filters, "error": error}
    if request.htmx and request.htmx.target == "resultats":
        return render_template("delivery/_rows.html", **context)
    return render_template("delivery/index.html", **context)


@bp.route("/courriels/<int:message_id>/renvoyer", methods=["POST"])
@profiles(*AGENTS)
def resend(message_id):
    try:
        row = rpc.call("notifier", "resend", message_id)
    except REFUSALS as exc:
        return done(url_for("delivery.index"), refusal_message(exc), "error")
    return done(url_for("delivery.index", recipient=row["recipient"]),
                f"Le courriel à {row['recipient']} est remis dans la file d'envoi.")
