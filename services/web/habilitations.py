"""The habilitation table of a partner structure, seen by its gestionnaires
(who create and inactivate their techniciens) and by the caisse (partners.py,
which habilitates the gestionnaires). One table template for both:
``templates/habilitations/_table.html``; the actions shown depend on the
viewer's profile, and the accounts service re-checks every one of them.

Also the small helpers the partner and admin screens share: the profile check,
French dates, service errors onto form fields, the HTMX-or-redirect answer.
"""
from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from htmx_flask import request
from wtforms import EmailField, SelectField, StringField, TelField

from contracts.catalogue import AGENT_INACTIVATION_REASONS, IMMEDIATE_REASONS, INACTIVATION_REASONS
from contracts.errors import CapReached, NotAuthorized, NotFound, RuleViolation, ValidationFailed
from services.web import rpc
from services.web.partials import partial_or_page

bp = Blueprint("habilitations", __name__)

AGENTS = ("agent_caisse", "admin_national")
PARIS = ZoneInfo("Europe/Paris")

# The reasons a caisse agent may choose; a gestionnaire's is always "gestionnaire".
AGENT_REASONS = [(code, INACTIVATION_REASONS[code].capitalize()) for code in AGENT_INACTIVATION_REASONS]
# The row actions, as they appear in URLs -> accounts RPC method.
ACCOUNT_ACTIONS = {"inactiver": "inactivate_account", "reactiver": "reactivate_account",
                   "renvoyer-invitation": "resend_invitation",
                   "reinitialiser-double-authentification": "reset_second_factor"}
ACTION_SEGMENT = "<any(inactiver, reactiver, 'renvoyer-invitation', 'reinitialiser-double-authentification'):action>"
EXPECTED_REFUSALS = (ValidationFailed, RuleViolation, CapReached, NotAuthorized, NotFound)


# --- shared helpers ---------------------------------------------------------------------------

def _to_datetime(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).rstrip("Z"))
    except ValueError:
        return None
    if len(str(value)) <= 10:                     # a plain date: no time zone to apply
        return moment
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)   # services store UTC


def date_fr(value, empty: str = "") -> str:
    moment = _to_datetime(value) if value else None
    return moment.strftime("%d/%m/%Y") if moment else empty


def datetime_fr(value, empty: str = "") -> str:
    moment = _to_datetime(value) if value else None
    return moment.strftime("%d/%m/%Y %H:%M") if moment else empty


bp.add_app_template_filter(date_fr, "date_fr")
bp.add_app_template_filter(datetime_fr, "datetime_fr")
bp.add_app_template_global(AGENT_REASONS, "agent_inactivation_reasons")
bp.add_app_template_global(IMMEDIATE_REASONS, "caisse_only_reactivation")


def error_page(status: int, message: str, title: str | None = None):
    title = title or {403: "Accès refusé", 404: "Page introuvable"}.get(status, "Action impossible")
    return render_template("error.html", title=title, message=message), status


def profiles(*allowed):
    """A friendly refusal for the wrong profile; the accounts service re-checks anyway."""
    def decorator(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if current_user.profile not in allowed:
                return error_page(403, "Cette page n'est pas accessible avec votre profil.")
            return view(*args, **kwargs)
        return checked
    return decorator


def register_refusal_pages(blueprint: Blueprint) -> None:
    """A partner or account out of the caller's reach: 404 / 403 pages, not the generic 400."""
    blueprint.register_error_handler(NotFound, lambda exc: error_page(404, exc.message))
    blueprint.register_error_handler(NotAuthorized, lambda exc: error_page(403, exc.message))


register_refusal_pages(bp)


def apply_errors(form, exc: ValidationFailed, aliases: dict | None = None) -> None:
    """The service's field messages onto the form's fields; the rest above the form."""
    for name, message in exc.fields.items():
        field = getattr(form, (aliases or {}).get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)
    if not exc.fields:
        form.form_errors.append(exc.message)


def refusal_message(exc) -> str:
    if isinstance(exc, ValidationFailed) and exc.fields:
        return " ".join(exc.fields.values())
    return exc.message


def done(url: str, message: str | None = None, category: str = "success"):
    """After a page-level action: a redirect, which HTMX follows as a full page load."""
    if message:
        flash(message, category)
    if request.htmx:
        return Response("", 200, {"HX-Redirect": url})
    return redirect(url)


def run_account_action(action: str, account_id: int, reason: str | None):
    """-> (notice, error): the French sentence to show after the action."""
    method = ACCOUNT_ACTIONS[action]
    args = (account_id, reason or "") if action == "inactiver" else (account_id,)
    try:
        row = rpc.call("accounts", method, *args)
    except EXPECTED_REFUSALS as exc:
        return None, refusal_message(exc)
    if action == "inactiver":
        return f"Le compte de {row['first_name']} {row['last_name']} est inactivé.", None
    if action == "reactiver":
        return f"Le compte de {row['first_name']} {row['last_name']} est réactivé.", None
    if action == "reinitialiser-double-authentification":
        return (f"La double authentification de {row['first_name']} {row['last_name']} est réinitialisée : "
                "la personne en est prévenue par courriel.", None)
    return "Un nouveau lien d'activation vient d'être envoyé par courriel.", None


def answer_account_action(notice, error, load_table, page_url: str):
    """HTMX: the refreshed table (caps included) with the outcome; otherwise back to the page."""
    if request.htmx:
        return render_template("habilitations/_table.html", table=load_table(), notice=notice, error=error)
    flash(notice or error, "success" if notice else "error")
    return redirect(page_url)


def csv_response(text: str, partner_id) -> Response:
    return Response(text, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="habilitations-{partner_id}.csv"'})


def pending_review(table: dict) -> dict | None:
    return next((r for r in table.get("reviews", []) if r["confirmed_at"] is None), None)


PERSON_FIELDS = ("civility", "last_name", "first_name", "function", "phone", "email")


class PersonForm(FlaskForm):
    """A gestionnaire or a technicien. The accounts service validates (French messages per field)."""
    civility = SelectField("Civilité", choices=[("", "Choisissez…"), ("M.", "M."), ("Mme", "Mme")],
                           validate_choice=False)
    last_name = StringField("Nom")
    first_name = StringField("Prénom")
    function = StringField("Fonction")
    phone = TelField("Téléphone professionnel")
    email = EmailField("Adresse électronique professionnelle")

    def person(self) -> dict:
        return {name: (getattr(self, name).data or "").strip() for name in PERSON_FIELDS}


# --- the gestionnaire's screen ----------------------------------------------------------------

def _table():
    return rpc.call("accounts", "habilitation_table")


def _page(form, status=200):
    table = _table()
    return render_template("habilitations/index.html", table=table, form=form,
                           pending_review=pending_review(table)), status


@bp.route("/habilitations", methods=["GET", "POST"])
@login_required
@profiles("gestionnaire")
def index():
    form = PersonForm()
    if form.validate_on_submit():
        try:
            row = rpc.call("accounts", "create_technicien", form.person())
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except (CapReached, RuleViolation, NotAuthorized) as exc:
            form.form_errors.append(exc.message)
        else:
            flash(f"Le compte technicien de {row['first_name']} {row['last_name']} est créé : une invitation "
                  f"à choisir son mot de passe est envoyée à {row['email']}.", "success")
            return redirect(url_for("habilitations.index"))
    return _page(form)


@bp.route("/habilitations/tableau")
@login_required
@profiles("gestionnaire")
def table():
    return partial_or_page("habilitations/_table.html", "Tableau des habilitations", table=_table())


@bp.route(f"/habilitations/comptes/<int:account_id>/{ACTION_SEGMENT}", methods=["POST"])
@login_required
@profiles("gestionnaire")
def account_action(account_id, action):
    notice, error = run_account_action(action, account_id, "gestionnaire")
    return answer_account_action(notice, error, _table, url_for("habilitations.index"))


@bp.route("/habilitations/revue", methods=["POST"])
@login_required
@profiles("gestionnaire")
def confirm_review():
    try:
        rpc.call("accounts", "confirm_review")
    except (RuleViolation, NotAuthorized) as exc:
        return done(url_for("habilitations.index"), exc.message, "error")
    return done(url_for("habilitations.index"),
                "Merci : la caisse est informée que votre tableau des habilitations est à jour.")


@bp.route("/habilitations.csv")
@login_required
@profiles("gestionnaire")
def export_csv():
    return csv_response(rpc.call("accounts", "habilitation_csv"), current_user.partner_id)
