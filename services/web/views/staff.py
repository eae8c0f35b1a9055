"""The caisse's own staff and settings, for its administrateurs de caisse: « Agents de la caisse »
(list, invite, edit, inactivate, reactivate, grant or remove the role) and « Paramètres de la
caisse » (account rules and local referents here; the requests-side settings are the requests
screens' fragment, loaded into the page so that it stands alone if requests is down).

The national administrator reaches a caisse's agents from « Caisses » (``?caisse=<code>``) to
create its first agent. The accounts service decides who may do what (services.accounts.staff).
"""
from functools import wraps

from flask import Blueprint, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from htmx_flask import request
from wtforms import BooleanField, FieldList, FormField, StringField

from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE
from services.web import rpc
from services.web.forms import PersonForm, ReferentForm, referent_errors, referents_data, referents_sent
from services.web.toolkit import action_done, error_page, profiles, saved

bp = Blueprint("staff", __name__)

SPARE_REFERENTS = 2
INVITED = ("{first_name} {last_name} est invité(e) comme agent de la caisse : un lien pour choisir son mot de passe "
           "est envoyé à {email} ; la double authentification sera activée à la première connexion.")
# The row actions, as they appear in URLs -> (accounts RPC method, its arguments after the account, notice).
ACTIONS = {
    "donner-role": ("set_caisse_admin", lambda form: (True,),
                    "{first_name} {last_name} est désormais administrateur de caisse."),
    "retirer-role": ("set_caisse_admin", lambda form: (False,),
                     "{first_name} {last_name} n'est plus administrateur de caisse."),
    "inactiver": ("inactivate_caisse_agent", lambda form: (form.get("reason", ""),),
                  "Le compte de {first_name} {last_name} est inactivé : ses sessions sont fermées."),
    "reactiver": ("reactivate_caisse_agent", lambda form: (), "Le compte de {first_name} {last_name} est réactivé."),
    "renvoyer-invitation": ("resend_agent_invitation", lambda form: (),
                            "Un nouveau lien d'activation vient d'être envoyé par courriel."),
}
ACTION_SEGMENT = "<any(" + ", ".join(f"'{a}'" for a in ACTIONS) + "):action>"


def caisse_admins(*allowed):
    """``profiles(*allowed)``, the caisse's agents among them holding the role « administrateur de caisse »."""
    def decorator(view):
        checked = profiles(*allowed)(view)

        @wraps(view)
        def guarded(*args, **kwargs):
            if current_user.is_authenticated and current_user.profile == AGENT_CAISSE and not current_user.caisse_admin:
                return error_page(403, "Cette page est réservée aux administrateurs de la caisse.")
            return checked(*args, **kwargs)
        return guarded
    return decorator


def _caisse_code():
    """The caisse named by the national admin (``?caisse=``); an administrateur's own otherwise."""
    return request.args.get("caisse") if current_user.profile == ADMIN_NATIONAL else None


def _agents_url(**anchor):
    code = _caisse_code()
    return url_for("staff.agents", **({"caisse": code} if code else {})) + (anchor.get("anchor") or "")


class AgentForm(PersonForm):
    caisse_admin = BooleanField("Lui donner aussi le rôle d'administrateur de caisse")


@bp.route("/caisse/agents", methods=["GET", "POST"])
@caisse_admins(AGENT_CAISSE, ADMIN_NATIONAL)
def agents():
    """The caisse's agents and, below, the form to invite one (POST here)."""
    if current_user.profile == ADMIN_NATIONAL and not _caisse_code():
        return render_template("staff/choose_caisse.html", caisses=rpc.call("accounts", "list_caisses"))
    form = AgentForm()
    data = {**form.person(), "caisse_admin": bool(form.caisse_admin.data)}
    if answer := saved(form, lambda: rpc.call("accounts", "create_caisse_agent", data, _caisse_code()), INVITED,
                       _agents_url()):
        return answer
    listing = rpc.call("accounts", "list_caisse_agents", _caisse_code())
    return render_template("staff/agents.html", listing=listing, form=form, caisse_code=_caisse_code(),
                           form_open=request.method == "POST")


@bp.route("/caisse/agents/<int:account_id>", methods=["GET", "POST"])
@caisse_admins(AGENT_CAISSE, ADMIN_NATIONAL)
def edit_agent(account_id):
    listing = rpc.call("accounts", "list_caisse_agents", _caisse_code())
    row = next((r for r in listing["rows"] if r["id"] == account_id), None)
    if row is None:
        return error_page(404, "Agent introuvable.")
    form = PersonForm(data=row)
    if answer := saved(form, lambda: rpc.call("accounts", "edit_caisse_agent", account_id, form.person()),
                       "Le compte de {first_name} {last_name} est modifié.", _agents_url()):
        return answer
    return render_template("staff/edit_agent.html", form=form, row=row, listing=listing, caisse_code=_caisse_code())


@bp.route(f"/caisse/agents/<int:account_id>/{ACTION_SEGMENT}", methods=["POST"])
@caisse_admins(AGENT_CAISSE, ADMIN_NATIONAL)
def agent_action(account_id, action):
    method, args, notice = ACTIONS[action]
    return action_done(_agents_url(anchor="#agents-title"),
                       lambda: rpc.call("accounts", method, account_id, *args(request.form)),
                       lambda row: notice.format_map(row or {}))


# --- « Paramètres de la caisse » ---------------------------------------------------------------------

class RulesForm(FlaskForm):
    technicien_inactivity = BooleanField("Inactiver les comptes de technicien sans connexion")
    technicien_inactivity_days = StringField("Délai sans connexion avant l'inactivation (jours)",
                                             render_kw={"inputmode": "numeric"})
    technicien_inactivity_warning_days = StringField("Avertissement par courriel avant l'inactivation (jours)",
                                                     render_kw={"inputmode": "numeric"})
    technicien_caps = BooleanField("Plafonner les techniciens selon le nombre de membres de la structure "
                                   "(5, 15 ou 25)")
    partners_second_factor = BooleanField("Exiger la double authentification des gestionnaires de nos partenaires")

    def rules(self) -> dict:
        return {name: self[name].raw_data[0] if self[name].raw_data else "" for name in
                ("technicien_inactivity", "technicien_inactivity_days", "technicien_inactivity_warning_days",
                 "technicien_caps", "partners_second_factor")}


class ReferentsForm(FlaskForm):
    referents = FieldList(FormField(ReferentForm), min_entries=SPARE_REFERENTS)


class DataProtectionForm(FlaskForm):
    email = StringField("Adresse électronique du délégué à la protection des données", render_kw={"type": "email"})
    address = StringField("Adresse postale (facultative)")


def _settings_page(rules=None, referents=None, data_protection=None):
    current = rpc.call("accounts", "caisse_settings")
    rules = rules or RulesForm(data=current)
    referents = referents or ReferentsForm(data={"referents": referents_data(current["referents"], SPARE_REFERENTS)})
    data_protection = data_protection or DataProtectionForm(data=current["data_protection"])
    return render_template("staff/settings.html", settings=current, rules=rules, referents_form=referents,
                           data_protection_form=data_protection)


@bp.route("/caisse/parametres")
@caisse_admins(AGENT_CAISSE)
def settings():
    return _settings_page()


@bp.route("/caisse/parametres/regles", methods=["POST"])
@caisse_admins(AGENT_CAISSE)
def save_rules():
    form = RulesForm()
    if answer := saved(form, lambda: rpc.call("accounts", "save_caisse_rules", form.rules()),
                       "Les règles des comptes de la caisse sont enregistrées.", url_for("staff.settings")):
        return answer
    return _settings_page(rules=form)


@bp.route("/caisse/parametres/referents", methods=["POST"])
@caisse_admins(AGENT_CAISSE)
def save_referents():
    form = ReferentsForm()
    sent, rows = referents_sent(form.referents.entries)
    if answer := saved(form, lambda: rpc.call("accounts", "save_caisse_referents", sent),
                       "Les référents de la caisse sont enregistrés.", url_for("staff.settings") + "#referents-title",
                       lambda form, exc: referent_errors(form, exc, rows)):
        return answer
    return _settings_page(referents=form)


@bp.route("/caisse/parametres/protection-des-donnees", methods=["POST"])
@caisse_admins(AGENT_CAISSE)
def save_data_protection():
    """The caisse's data-protection contact, shown on « Données personnelles » (views/legal.py)."""
    form = DataProtectionForm()
    if answer := saved(form, lambda: rpc.call("accounts", "save_caisse_data_protection",
                                              {"email": form.email.data or "", "address": form.address.data or ""}),
                       "Le contact de protection des données est enregistré.",
                       url_for("staff.settings") + "#data-protection-title"):
        return answer
    return _settings_page(data_protection=form)
