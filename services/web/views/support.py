"""« Signaler un dysfonctionnement » (issue 15, point 3): every signed-in person files a report (what, when,
which page, an optional screenshot) and follows it in « Mes signalements »; the caisse's agents and national
support (the national administrator) work their queue. The requests service routes, checks and scopes
everything; the web only parses the form and shows what it answers.

``/support/signaler?sujet=accessibilite&page=/chemin`` presets the category and the page (the accessibility
statement links to it); without ``page`` the form takes the page the person came from (same site only).
"""
from urllib.parse import urlsplit

from flask import Blueprint, flash, render_template, request, url_for

from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, PROFILES
from services.web import rpc
from services.web.request_forms import ATTACHMENT_FIELD, posted_with_one_file
from services.web.toolkit import (PageForm, attempt, done, file_download, outcome_or_back, profiles,
                                  upload_timeout)

bp = Blueprint("support", __name__)

FIELDS = ("category", "description", "happened_on", "happened_time", "page", "caisse_code", ATTACHMENT_FIELD)
SUBJECTS = {"accessibilite": "accessibilite", "question": "question", "dysfonctionnement": "dysfonctionnement"}
HANDLERS = (AGENT_CAISSE, ADMIN_NATIONAL)


def _came_from() -> str:
    """The page named by ``?page=`` or, failing that, the same-site page the person came from: a path only."""
    wanted = request.args.get("page") or request.referrer or ""
    parts = urlsplit(wanted)
    if parts.netloc and parts.netloc != request.host:
        return ""
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else ""
    return "" if path == url_for("support.new") else path[:300]


@bp.route("/support/signaler", methods=["GET", "POST"])
@profiles(*PROFILES)
def new():
    form, status = PageForm(FIELDS), 200
    if request.method == "POST":
        filed = posted_with_one_file(form, "screenshot", lambda values, file, timeout: rpc.call(
            "requests", "file_support_report", values, file, timeout=timeout))
        if filed is None:
            status = 400
        else:
            flash(f"Votre signalement {filed['reference']} est transmis : vous suivez sa réponse dans "
                  "« Mes signalements ».", "success")
            return done(url_for("support.show", report_id=filed["id"]))
    else:
        form.values = {"category": SUBJECTS.get(request.args.get("sujet", ""), "dysfonctionnement"),
                       "page": _came_from()}
    return render_template("support/new.html", form=form, shown=rpc.call("requests", "support_form")), status


@bp.route("/support")
@profiles(*PROFILES)
def mine():
    return render_template("support/mine.html", rows=rpc.call("requests", "my_support_reports"))


@bp.route("/support/file")
@profiles(*HANDLERS)
def queue():
    return render_template("support/queue.html", page=rpc.call("requests", "support_queue",
                                                               request.args.get("statut") or None))


def _context(report_id: int) -> dict:
    return {"r": rpc.call("requests", "support_report", report_id)}


@bp.route("/support/<int:report_id>")
@profiles(*PROFILES)
def show(report_id):
    return render_template("support/detail.html", **_context(report_id))


@bp.route("/support/<int:report_id>/actions/<action>", methods=["POST"])
@profiles(*PROFILES)
def act(report_id, action):
    notice, error = attempt(lambda: rpc.call("requests", "act_on_support_report", report_id, action,
                                             request.form.get("message", "")),
                            "C'est fait : le signalement est à jour.")
    return outcome_or_back("support/_report.html", url_for("support.show", report_id=report_id), notice, error,
                           lambda: {**_context(report_id), "failed_action": action if error else None,
                                    "message": request.form.get("message", "") if error else ""})


@bp.route("/support/<int:report_id>/capture")
@profiles(*PROFILES)
def screenshot(report_id):
    return file_download(rpc.call("requests", "support_screenshot", report_id, timeout=upload_timeout()))
