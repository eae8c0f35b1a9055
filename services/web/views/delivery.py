"""The delivery log of the caisse's emails (agents: their caisse's users; the
national admin: everyone) and the resend of a failed one."""
from flask import Blueprint, render_template, url_for
from htmx_flask import request

from contracts.errors import ValidationFailed
from contracts.profiles import AGENTS
from services.web import rpc, searches
from services.web.toolkit import REFUSALS, done, profiles, refusal_message

bp = Blueprint("delivery", __name__)

FILTERS = ("status", "kind", "recipient")


@bp.route("/courriels", methods=["GET", "POST"])
@profiles(*AGENTS)
def index():
    """The recipient (a person's name or address) is POSTed, never in a URL (services.web.searches)."""
    (filters, cursor), error = searches.terms(FILTERS, private=("recipient",), limit=254), None
    try:
        page = rpc.call("notifier", "delivery_log", filters, cursor)
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
    return done(url_for("delivery.index"), f"Le courriel à {row['recipient']} est remis dans la file d'envoi.")
