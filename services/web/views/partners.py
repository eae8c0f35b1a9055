"""The caisse's partner screens: the partners under convention, registering a
partner with its convention, a partner's page (conventions, suspension, the
habilitation of its gestionnaires, reviews, CSV export, audit trail), the
invitations waiting for activation and the caisse's audit trail.

Caisse agents act; the national admin may view (and act where the accounts
service lets it). The accounts service decides who sees which partner.
"""
from datetime import date

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from htmx_flask import request
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from contracts.catalogue import FEATURES, PARTNER_KINDS
from contracts.dates import date_fr
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, AGENTS, GESTIONNAIRE
from services.web import rpc
from services.web.account_actions import ACTION_SEGMENT, RESENT, act_on_account, csv_response, pending_review
from services.web.forms import PersonForm, iso_date
from services.web.toolkit import (action_done, attempt, done, outcome_or_back, partial_or_page, profiles, saved,
                                  submitted)

bp = Blueprint("partners", __name__)

REGISTERED = "{name} est enregistré, avec sa convention. Habilitez maintenant son ou ses gestionnaires."
PROPOSED = ("Ce SIRET est déjà connu : {name} reçoit une proposition de convention de votre caisse. Tant qu'un de ses "
            "gestionnaires ne l'a pas acceptée, vous ne voyez que son nom et l'état de la proposition.")
UPCOMING = ("{name} est enregistré. Sa convention commence le {start} : sa fiche et ses habilitations vous seront "
            "ouvertes à cette date.")
NOTICES = [("", "Aucun préavis"), ("caisse", "Préavis donné par la caisse"),
           ("partner", "Préavis donné par la structure (enregistré pour elle)")]
REFERENT = ("name", "function", "phone", "email")
HABILITATED = ("{first_name} {last_name} est habilité(e) comme gestionnaire : une invitation à choisir son mot de "
               "passe est envoyée à {email}.")
PARTNER_FIELDS = ("name", "kind", "siret", "address", "member_count", "email_domains", "start_date", "end_date")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RecordForm(FlaskForm):
    """The partner's record (its SIRET aside); the accounts service validates."""
    name = StringField("Nom de la structure")
    kind = SelectField("Type de structure", choices=[("", "Choisissez…")] + [(k, k) for k in PARTNER_KINDS],
                       validate_choice=False)
    address = TextAreaField("Adresse", render_kw={"rows": 3})
    member_count = StringField("Nombre de membres de la structure", render_kw={"inputmode": "numeric"})
    habilitated_body = BooleanField("Organisme habilité (tutelle, mandataire judiciaire, ASE, organisme dépositaire…)")
    email_domains = StringField("Domaines de messagerie de la structure (facultatif)")

    def record(self) -> dict:
        return {**{name: (getattr(self, name).data or "").strip() for name in RECORD_FIELDS},
                "habilitated_body": bool(self.habilitated_body.data)}


RECORD_FIELDS = ("name", "kind", "address", "member_count", "email_domains")


class PartnerForm(RecordForm):
    """A partner and its convention with the agent's caisse; the accounts service validates."""
    siret = StringField("SIRET", render_kw={"inputmode": "numeric", "autocomplete": "off"})
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


class ConventionForm(FlaskForm):
    """End date, tacit renewal, notice and the partner's referent for the convention."""
    end_date = StringField("Date de fin", render_kw={"type": "date"})
    tacit_renewal = BooleanField("Reconduction tacite : renouvelée pour un an à sa date de fin, sauf préavis")
    notice = SelectField("Préavis contre la reconduction", choices=NOTICES, validate_choice=False)
    referent_name = StringField("Nom")
    referent_function = StringField("Fonction")
    referent_phone = StringField("Téléphone", render_kw={"type": "tel"})
    referent_email = StringField("Adresse électronique", render_kw={"type": "email"})

    @classmethod
    def of(cls, convention: dict) -> "ConventionForm":
        return cls(data={"end_date": convention["end_date"] or "", "tacit_renewal": convention["tacit_renewal"],
                         "notice": convention["notice_by"] or "",
                         **{f"referent_{k}": convention["partner_referent"][k] for k in REFERENT}})

    def convention(self) -> dict:
        return {"end_date": iso_date(self.end_date.data or ""), "tacit_renewal": bool(self.tacit_renewal.data),
                "notice": self.notice.data or "",
                "partner_referent": {k: (getattr(self, f"referent_{k}").data or "").strip() for k in REFERENT}}


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
    return render_template("partners/detail.html", partner=partner, table=table, form=PersonForm() if form is None else form,
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
    answer = submitted(form, lambda: rpc.call("accounts", "register_partner", form.partner()))
    if answer is None:
        return render_template("partners/new.html", form=form, features=FEATURES)
    if answer["limited"]:                  # a known SIRET: a proposal, the name and its status only
        return done(url_for("partners.index"), PROPOSED.format_map(answer), "info")
    if not any(c["in_force"] for c in answer["conventions"]):      # it starts later: no right before then
        return done(url_for("partners.index"), UPCOMING.format(name=answer["name"],
                                                               start=date_fr(answer["conventions"][0]["start_date"])))
    return done(url_for("partners.detail", partner_id=answer["id"]), REGISTERED.format_map(answer))


@bp.route("/partenaires/<int:partner_id>")
@profiles(*AGENTS)
def detail(partner_id):
    return _detail_page(partner_id)


@bp.route("/partenaires/<int:partner_id>/fiche", methods=["GET", "POST"])
@profiles(*AGENTS)
def edit_partner(partner_id):
    partner = _partner(partner_id)
    form = RecordForm(data=partner)
    return saved(form, lambda: rpc.call("accounts", "update_partner", partner_id, form.record()),
                 "La fiche de {name} est enregistrée.", url_for("partners.detail", partner_id=partner_id)) \
        or render_template("partners/edit.html", form=form, partner=partner)


@bp.route("/partenaires/<int:partner_id>/suspension", methods=["POST"])
@profiles(*AGENTS)
def suspend(partner_id):
    """An agent: the partner's access to its caisse; the national admin: to every caisse."""
    suspended = request.form.get("suspendre") == "1"
    whom = "toutes les caisses" if current_user.profile == ADMIN_NATIONAL else current_user.caisse_name
    return action_done(url_for("partners.detail", partner_id=partner_id),
                       lambda: rpc.call("accounts", "suspend_partner", partner_id, suspended),
                       lambda p: f"L'accès de {p['name']} à {whom} est {'suspendu' if suspended else 'rétabli'}.")


@bp.route("/partenaires/<int:partner_id>/conventions/<int:convention_id>/modifier", methods=["GET", "POST"])
@profiles(*AGENTS)
def edit_convention(partner_id, convention_id):
    partner = _partner(partner_id)
    convention = _convention(partner, convention_id)
    form = ConventionForm.of(convention) if request.method == "GET" else ConventionForm()
    return saved(form, lambda: rpc.call("accounts", "update_convention", convention_id, form.convention()),
                 f"La convention avec {convention['caisse_name']} est enregistrée.",
                 url_for("partners.detail", partner_id=partner_id) + f"#convention-{convention_id}") \
        or render_template("partners/edit_convention.html", form=form, partner=partner, convention=convention)


@bp.route("/partenaires/<int:partner_id>/conventions/<int:convention_id>/fin", methods=["POST"])
@profiles(*AGENTS)
def end_convention(partner_id, convention_id):
    """Once ended, the caisse has no right over the partner any more: back to the list."""
    convention = _convention(_partner(partner_id), convention_id)
    back = url_for("partners.detail", partner_id=partner_id) if current_user.profile == ADMIN_NATIONAL else \
        url_for("partners.index")
    return action_done(back, lambda: rpc.call("accounts", "end_convention", convention["id"]),
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
