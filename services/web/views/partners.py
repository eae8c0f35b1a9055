"""The caisse's partner screens: the partners under convention, registering a
partner with its convention, a partner's page (conventions, suspension, the
habilitation of its gestionnaires, reviews, CSV export, audit trail), the
invitations waiting for activation and the caisse's audit trail.

Caisse agents act; the national admin may view (and act where the accounts
service lets it). The accounts service decides who sees which partner.
"""
from datetime import date

from flask import Blueprint, abort, render_template, url_for
from flask_wtf import FlaskForm
from htmx_flask import request
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from contracts.catalogue import FEATURES, PARTNER_KINDS
from contracts.profiles import AGENT_CAISSE, AGENTS, GESTIONNAIRE
from services.web import rpc
from services.web.account_actions import ACTION_SEGMENT, RESENT, act_on_account, csv_response, pending_review
from services.web.forms import PersonForm, iso_date
from services.web.toolkit import action_done, attempt, done, outcome_or_back, partial_or_page, profiles, saved

bp = Blueprint("partners", __name__)

REGISTERED = "{name} est enregistré, avec sa convention. Habilitez maintenant son ou ses gestionnaires."
HABILITATED = ("{first_name} {last_name} est habilité(e) comme gestionnaire : une invitation à choisir son mot de "
               "passe est envoyée à {email}.")
PARTNER_FIELDS = ("name", "kind", "siret", "address", "member_count", "email_domains", "start_date", "end_date")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PartnerForm(FlaskForm):
    """A partner and its convention with the agent's caisse; the accounts service validates."""
    name = StringField("Nom de la structure")
    kind = SelectField("Type de structure", choices=[("", "Choisissez…")] + [(k, k) for k in PARTNER_KINDS],
                       validate_choice=False)
    siret = StringField("SIRET", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    address = TextAreaField("Adresse", render_kw={"rows": 3})
    member_count = StringField("Nombre de membres de la structure", render_kw={"inputmode": "numeric"})
    habilitated_body = BooleanField("Organisme habilité (tutelle, mandataire judiciaire, ASE, organisme dépositaire…)")
    email_domains = StringField("Domaines de messagerie de la structure (facultatif)")
    start_date = StringField("Date de début de la convention", render_kw={"type": "date"},
                             default=lambda: date.today().isoformat())
    end_date = StringField("Date de fin de la convention (facultatif)", render_kw={"type": "date"})
    tacit_renewal = BooleanField("Reconduction tacite", default=True)
    features = CheckboxesField("Fonctionnalités ouvertes au partenaire", choices=list(FEATURES.items()),
                               default=list(FEATURES), validate_choice=False)

    def partner(self) -> dict:
        data = {name: (getattr(self, name).data or "").strip() for name in PARTNER_FIELDS}
        data["start_date"], data["end_date"] = iso_date(data["start_date"]), iso_date(data["end_date"])
        return {**data, "habilitated_body": bool(self.habilitated_body.data),
                "tacit_renewal": bool(self.tacit_renewal.data), "features": list(self.features.data or [])}


def _partner(partner_id):
    return rpc.call("accounts", "get_partner", partner_id)


def _table(partner_id):
    return rpc.call("accounts", "habilitation_table", partner_id)


def _convention(partner, convention_id):
    found = next((c for c in partner["conventions"] if c["id"] == convention_id), None)
    if found is None:
        abort(404)
    return found


def _detail_page(partner_id, form=None, form_open=False):
    partner, table = _partner(partner_id), _table(partner_id)
    return render_template("partners/detail.html", partner=partner, table=table, form=form or PersonForm(),
                           form_open=form_open, features=FEATURES, pending_review=pending_review(table),
                           last_review=table["reviews"][0] if table["reviews"] else None)


# --- partners ---------------------------------------------------------------------------------

@bp.route("/partenaires")
@profiles(*AGENTS)
def index():
    return render_template("partners/index.html", partners=rpc.call("accounts", "list_partners"))


@bp.route("/partenaires/nouveau", methods=["GET", "POST"])
@profiles(AGENT_CAISSE)
def new():
    form = PartnerForm()
    registered = saved(form, lambda: rpc.call("accounts", "register_partner", form.partner()), REGISTERED,
                       lambda partner: url_for("partners.detail", partner_id=partner["id"]))
    return registered or render_template("partners/new.html", form=form, features=FEATURES)


@bp.route("/partenaires/<int:partner_id>")
@profiles(*AGENTS)
def detail(partner_id):
    return _detail_page(partner_id)


@bp.route("/partenaires/<int:partner_id>/suspension", methods=["POST"])
@profiles(AGENT_CAISSE)
def suspend(partner_id):
    suspended = request.form.get("suspendre") == "1"
    partner = rpc.call("accounts", "suspend_partner", partner_id, suspended)
    message = (f"L'accès de {partner['name']} à l'Espace Partenaires est suspendu." if suspended else
               f"L'accès de {partner['name']} à l'Espace Partenaires est rétabli.")
    return done(url_for("partners.detail", partner_id=partner_id), message)


@bp.route("/partenaires/<int:partner_id>/conventions/<int:convention_id>/fin", methods=["POST"])
@profiles(*AGENTS)
def end_convention(partner_id, convention_id):
    convention = _convention(_partner(partner_id), convention_id)
    return action_done(url_for("partners.detail", partner_id=partner_id),
                       lambda: rpc.call("accounts", "end_convention", convention["id"]),
                       f"La convention avec {convention['caisse_name']} a pris fin. Si le partenaire n'a plus "
                       "d'autre convention active, ses comptes sont inactivés.")


@bp.route("/partenaires/<int:partner_id>/conventions/<int:convention_id>/fonctionnalites", methods=["POST"])
@profiles(*AGENTS)
def convention_features(partner_id, convention_id):
    convention = _convention(_partner(partner_id), convention_id)
    return action_done(url_for("partners.detail", partner_id=partner_id) + f"#convention-{convention_id}",
                       lambda: rpc.call("accounts", "set_convention_features", convention["id"],
                                        request.form.getlist("features")),
                       f"Les fonctionnalités de la convention avec {convention['caisse_name']} sont enregistrées.")


# --- the partner's habilitations -----------------------------------------------------------

@bp.route("/partenaires/<int:partner_id>/gestionnaires", methods=["POST"])
@profiles(*AGENTS)
def create_gestionnaire(partner_id):
    form = PersonForm()
    if answer := saved(form, lambda: rpc.call("accounts", "create_gestionnaire", partner_id, form.person()),
                       HABILITATED, url_for("partners.detail", partner_id=partner_id) + "#habilitations-title"):
        return answer
    return _detail_page(partner_id, form, form_open=True)


@bp.route("/partenaires/<int:partner_id>/habilitations")
@profiles(*AGENTS)
def habilitations(partner_id):
    return partial_or_page("habilitations/_table.html", "Tableau des habilitations", table=_table(partner_id))


@bp.route("/partenaires/<int:partner_id>/comptes/<int:account_id>/modifier", methods=["GET", "POST"])
@profiles(*AGENTS)
def edit_gestionnaire(partner_id, account_id):
    table = _table(partner_id)
    row = next((r for r in table["rows"] if r["id"] == account_id and r["profile"] == GESTIONNAIRE), None)
    if row is None:
        abort(404)
    form = PersonForm(data=row)
    if answer := saved(form, lambda: rpc.call("accounts", "edit_gestionnaire", account_id, form.person()),
                       "Le compte de {first_name} {last_name} est modifié.",
                       url_for("partners.detail", partner_id=partner_id)):
        return answer
    return render_template("partners/edit_gestionnaire.html", form=form, row=row, partner=table["partner"])


@bp.route(f"/partenaires/<int:partner_id>/comptes/<int:account_id>/{ACTION_SEGMENT}", methods=["POST"])
@profiles(*AGENTS)
def account_action(partner_id, account_id, action):
    return act_on_account(action, account_id, request.form.get("reason"), lambda: _table(partner_id),
                          url_for("partners.detail", partner_id=partner_id) + "#habilitations-title")


@bp.route("/partenaires/<int:partner_id>/revue", methods=["POST"])
@profiles(AGENT_CAISSE)
def request_review(partner_id):
    return action_done(url_for("partners.detail", partner_id=partner_id),
                       lambda: rpc.call("accounts", "request_review", partner_id),
                       "La revue des habilitations est demandée : les gestionnaires de la structure sont "
                       "prévenus par courriel et confirmeront leur tableau.")


@bp.route("/partenaires/<int:partner_id>/habilitations.csv")
@profiles(*AGENTS)
def export_csv(partner_id):
    return csv_response(rpc.call("accounts", "habilitation_csv", partner_id), partner_id)


@bp.route("/partenaires/<int:partner_id>/journal")
@profiles(*AGENTS)
def journal(partner_id):
    partner = _partner(partner_id)
    return render_template("partners/audit.html", entries=rpc.call("accounts", "audit_log", partner_id),
                           partner=partner)


# --- invitations and the caisse's audit trail -----------------------------------------------

@bp.route("/invitations")
@profiles(*AGENTS, GESTIONNAIRE)
def invitations():
    return render_template("partners/invitations.html", rows=rpc.call("accounts", "pending_invitations"))


@bp.route("/invitations/<int:account_id>/renvoyer", methods=["POST"])
@profiles(*AGENTS, GESTIONNAIRE)
def resend_invitation(account_id):
    notice, error = attempt(lambda: rpc.call("accounts", "resend_invitation", account_id), RESENT)
    return outcome_or_back("partners/_resend_outcome.html", url_for("partners.invitations"), notice, error,
                           lambda: {"account_id": account_id})


@bp.route("/journal")
@profiles(*AGENTS)
def audit():
    return render_template("partners/audit.html", entries=rpc.call("accounts", "audit_log"), partner=None)
