"""The requests screens: a technicien files a request, partners follow their
structure's history, caisse agents work their queue, both sides act on a
request (status, messages, documents) and download its files.

Everything is read from and checked by the requests service: the web never
decides who sees a request, it only shows what the service returns and turns
its typed refusals into French messages on the page.
"""
import uuid
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from htmx_flask import request

from contracts.errors import AlreadyOpen, NotAuthorized, ServiceUnavailable, ValidationFailed
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, PARTNER_USERS, TECHNICIEN
from services.web import drafts, rpc, searches
from services.web.remembered import remembered
from services.web.request_forms import (ATTACHMENT_FIELD, FILES_FIELD, condition_hint, details_for_display,
                                        encoded_files, field_names, payload, values_for_display)
from services.web.toolkit import (REFUSALS, PageForm, attempt, done, error_page, file_download, outcome_or_back,
                                  partial_or_page, profiles, refusal_message, report_refusal, upload_timeout)

bp = Blueprint("requests_ui", __name__)

PARTNER = PARTNER_USERS
FILTERS = ("q", "kind", "status", "date_from", "date_to", "caisse", "late")
# Longer than any field allows: the service says "too long" without the web shipping megabytes.
FIELD_CHECK_MAX = 20_000
# When the web cannot tell whether a submission went through, the form comes back with this and
# its idempotency key: sending it again returns the request if it was made (never a second one).
UNAVAILABLE = ("Le service des demandes est momentanément indisponible : votre demande n'est peut-être pas "
               "enregistrée. Votre saisie est conservée ci-dessous : réessayez dans quelques instants en renvoyant ce "
               "formulaire (sans risque de doublon), après avoir choisi de nouveau les pièces jointes.")
# Actions that cannot be undone: the browser asks first.
CONFIRM = {"close": "Clôturer cette demande ? Elle ne pourra plus être modifiée.",
           "reject": "Déclarer cette demande irrecevable ? Le partenaire en sera informé."}


# The catalogue only changes when the requests service is deployed again: one call a minute per
# process instead of one per page (a history page makes one call fewer: bench/split_tax.py).
CATALOGUE_SECONDS = 60


def _catalogue() -> dict:
    return remembered("requests-catalogue", CATALOGUE_SECONDS, lambda: rpc.call("requests", "form_catalogue"))


def _shown_form(kind: str, caisse_code: str, submitted: bool) -> dict:
    """The form as the service gives it for this caisse. After a submission the service may be down: the
    form is then built from the catalogue this process keeps (without the caisse's own document list), so
    that what was typed comes back on the page instead of a « service indisponible » page that loses it."""
    try:
        return rpc.call("requests", "request_form", kind, caisse_code)
    except ServiceUnavailable:
        if not submitted:
            raise
    catalogue = _catalogue()
    caisse = next((c for c in current_user.caisses or [] if c["code"] == caisse_code), {"name": caisse_code})
    return {"kind": kind, "kind_label": catalogue["kinds"].get(kind, kind), "delivery": None,
            "caisse": {"code": caisse_code, "name": caisse["name"]}, "insured_fields": catalogue["insured_fields"],
            "kind_fields": {kind: catalogue["kind_fields"][kind]}}


def _filing_caisses(kinds: dict) -> list[dict]:
    """The caisses the technicien's structure works with, each with the request kinds it opened."""
    return [{"code": c["code"], "name": c["name"],
             "kinds": [(k, label) for k, label in kinds.items() if k in (c.get("features") or [])]}
            for c in current_user.caisses or []]


# --- filing a request ---------------------------------------------------------------------------

@bp.route("/demandes/verifier-champ", methods=["POST"])
@profiles(*PARTNER, AGENT_CAISSE)
def check_field():
    """HTMX: one field checked as it is typed (``?type=<kind>&champ=<name>``) by the service's
    rules. Silent when the service cannot say: the submission checks everything again."""
    name = request.args.get("champ", "")
    try:
        error = rpc.call("requests", "check_field", request.args.get("type"), name,
                         request.form.get(name, "")[:FIELD_CHECK_MAX])["error"]
    except (ValidationFailed, ServiceUnavailable):
        error = None
    return render_template("requests/_field_check.html", error=error)


@bp.route("/demandes/nouvelle")
@profiles(TECHNICIEN)
def new():
    catalogue = _catalogue()
    return render_template("requests/choose.html", caisses=_filing_caisses(catalogue["kinds"]))


@bp.route("/demandes/nouvelle/<caisse_code>/<kind>", methods=["GET", "POST"])
@profiles(TECHNICIEN)
def new_form(caisse_code, kind):
    """The form as the service gives it for this caisse (its documents, its delivery policy); a kind
    the convention does not open is refused by the service (« Non ouvert à votre structure »)."""
    catalogue = _catalogue()
    if kind not in catalogue["kind_fields"]:
        return error_page(404, "Ce type de demande n'existe pas.")
    form = PageForm(field_names(catalogue, kind), values_for_display(request.form))
    already_open, status, restored = None, 200, None
    if request.method == "GET" and (restored := drafts.take_back(kind, caisse_code)):
        form.values = restored["fields"]           # typed before the session expired (services/web/drafts.py)
    idempotency_key = request.form.get("idempotency_key") or uuid.uuid4().hex
    if request.method == "POST":
        status = 400
        files = encoded_files(request.files.getlist(FILES_FIELD))
        try:
            created = rpc.call("requests", "submit", kind, caisse_code, payload(catalogue, kind, request.form),
                               files, idempotency_key=idempotency_key, timeout=upload_timeout() if files else None)
        except ServiceUnavailable:
            # 200 for htmx, which swaps only successful answers: the form and its message replace the page.
            form.form_errors, status = [UNAVAILABLE], 200 if request.htmx else 503
        except AlreadyOpen as exc:
            already_open = exc
        except REFUSALS as exc:
            report_refusal(form, exc)
            # Refused for good: what is sent next is another submission (the key of one that was filed
            # already, back and edited, would be refused again), never taken for this one.
            idempotency_key = uuid.uuid4().hex
        else:
            flash(f"Votre demande {created['reference']} est déposée auprès de la caisse.", "success")
            return done(url_for("requests_ui.detail", request_id=created["id"]))
    shown = _shown_form(kind, caisse_code, request.method == "POST")
    return render_template("requests/form.html", catalogue=shown, kind=kind, caisse=shown["caisse"],
                           kind_label=shown["kind_label"], delivery=shown["delivery"], form=form,
                           already_open=already_open, condition_hint=condition_hint,
                           idempotency_key=idempotency_key, restored=restored and drafts.RESTORED), status


# --- histories and the caisse's queue -----------------------------------------------------------

def _list_page(template_title: str, endpoint: str, default_filters: dict | None = None):
    """The filters POSTed by the list's form (the insured person's name ``q`` never in a URL: searches.py),
    or the others in the URL; "Tous les statuts" is the value "tous", so it overrides a default."""
    given, cursor = searches.terms(FILTERS, private=("q",))
    filters = {**(default_filters or {}), **given}      # a default until the user picks a value
    # Sent now, read where the rows are rendered: the layout and the form render while the service answers.
    page = rpc.Later("requests", "search", filters, cursor, refusals=(ValidationFailed,),
                     refused=lambda exc: {"rows": [], "next": None, "error": refusal_message(exc)})
    context = {"page": page, "filters": filters, "endpoint": endpoint, "cursor": cursor, "title": template_title}
    if request.htmx and request.htmx.target == "resultats":
        return render_template("requests/_results.html", **context)
    return render_template("requests/list.html", catalogue=_catalogue(), **context)


@bp.route("/demandes", methods=["GET", "POST"])
@profiles(*PARTNER)
def history():
    return _list_page("Demandes de ma structure", "requests_ui.history")


@bp.route("/file", methods=["GET", "POST"])
@profiles(AGENT_CAISSE)
def queue():
    return _list_page("File des demandes", "requests_ui.queue", {"status": "open"})


# --- the caisse's settings of requests (its administrateur; the national administrator: ?caisse=) -------

SETTINGS_FIELDS = ("documents", "delivery", "late_after_days")


@bp.route("/caisse/parametres/demandes", methods=["GET", "POST"])
@profiles(AGENT_CAISSE, ADMIN_NATIONAL)
def requests_settings():
    """A fragment of « Paramètres de la caisse » (hx-get), a page by itself otherwise; the requests
    service decides who may read and change them."""
    caisse = request.args.get("caisse", "").strip()[:8] or None
    if caisse is None and current_user.profile == ADMIN_NATIONAL:
        return redirect(url_for("admin.caisses"), 303)             # which caisse: chosen from the list
    form, status = PageForm(SETTINGS_FIELDS), 200
    if request.method == "POST":
        form.values = {"documents": request.form.getlist("documents"), "delivery": request.form.get("delivery", ""),
                       "late_after_days": request.form.get("late_after_days", "")}
        try:
            rpc.call("requests", "save_request_settings", form.values, caisse)
        except REFUSALS as exc:
            report_refusal(form, exc)
            status = 200 if request.htmx else 400          # htmx swaps successful answers only
        else:
            flash("Les paramètres des demandes sont enregistrés.", "success")
            return redirect(url_for("requests_ui.requests_settings", caisse=caisse), 303)
    settings = rpc.call("requests", "request_settings", caisse)
    form.values = form.values or settings
    # Inside « Paramètres de la caisse » (another page asked for it) its title is one level down.
    embedded = bool(request.htmx) and urlsplit(request.htmx.current_url or "").path != request.path
    return partial_or_page("requests/_settings.html", "Paramètres des demandes", settings=settings, form=form,
                           caisse=caisse, heading="h3" if embedded else "h2"), status


# --- one request ------------------------------------------------------------------------------

def _detail_context(request_id: int) -> dict:
    found = rpc.call("requests", "get", request_id)
    catalogue = _catalogue()
    return {"r": found, "details": details_for_display(catalogue, found["kind"], found["details"]),
            "confirm": CONFIRM, "departments": catalogue["departments"]}


@bp.route("/demandes/<int:request_id>")
@profiles(*PARTNER, AGENT_CAISSE)
def detail(request_id):
    return render_template("requests/detail.html", **_detail_context(request_id))


@bp.route("/demandes/<int:request_id>/actions/<action>", methods=["POST"])
@profiles(TECHNICIEN, AGENT_CAISSE)
def act(request_id, action):
    refusal = []           # the service's refusal, if any: what it says of the files goes on their field

    def send():
        try:
            return rpc.call("requests", "act", request_id, action, request.form.get("message", ""),
                            encoded_files(request.files.getlist(FILES_FIELD)), timeout=upload_timeout())
        except ValidationFailed as exc:
            refusal.append(exc)
            raise

    notice, error = attempt(send, "C'est fait : la demande est à jour.")
    file_error = refusal[0].fields.get(ATTACHMENT_FIELD) if refusal else None
    # HTMX: the request region alone, refreshed with the outcome; the typed message is kept on a refusal.
    return outcome_or_back("requests/_request.html", url_for("requests_ui.detail", request_id=request_id),
                           notice, error, lambda: {**_detail_context(request_id),
                                                   "failed_action": action if error else None,
                                                   "file_error": file_error,
                                                   "message": request.form.get("message", "") if error else ""})


@bp.route("/demandes/<int:request_id>/pieces/<int:attachment_id>")
@profiles(*PARTNER, AGENT_CAISSE)
def download(request_id, attachment_id):
    return file_download(rpc.call("requests", "download", request_id, attachment_id, timeout=upload_timeout()))


# --- the partner user's email choices (requests: technicien; newsletter: notifier) -----------------

def _or_unavailable(service, method):
    """One section of the page per service: a service that is down blanks its section only."""
    try:
        return rpc.call(service, method)
    except ServiceUnavailable:
        return None


@bp.route("/mon-compte/notifications", methods=["GET", "POST"])
@profiles(*PARTNER)
def notifications():
    if request.method == "POST":
        if current_user.profile != TECHNICIEN:
            raise NotAuthorized()
        rpc.call("requests", "set_my_notification_preferences", request.form.get("status_changes") == "oui",
                 request.form.get("messages") == "oui")
        flash("Vos préférences de notification sont enregistrées.", "success")
        return redirect(url_for("requests_ui.notifications"), 303)
    preferences = _or_unavailable("requests", "my_notification_preferences") \
        if current_user.profile == TECHNICIEN else None
    return render_template("requests/notifications.html", preferences=preferences,
                           subscriptions=_or_unavailable("notifier", "my_newsletter_subscriptions"),
                           caisse_names={c["code"]: c["name"] for c in current_user.caisses or []})
