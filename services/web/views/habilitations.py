"""The gestionnaire's screen: the habilitation table of their partner structure, where
they create and inactivate their techniciens (the table's actions: account_actions.py)."""
from flask import Blueprint, render_template, url_for
from flask_login import current_user

from contracts.profiles import GESTIONNAIRE
from services.web import rpc
from services.web.account_actions import (ACTION_SEGMENT, GESTIONNAIRE_REASON, act_on_account, csv_response,
                                          pending_review)
from services.web.forms import PersonForm
from services.web.toolkit import action_done, partial_or_page, profiles, saved

bp = Blueprint("habilitations", __name__)

CREATED = ("Le compte technicien de {first_name} {last_name} est créé : une invitation à choisir son mot de passe "
           "est envoyée à {email}.")


def _table():
    return rpc.call("accounts", "habilitation_table")


@bp.route("/habilitations", methods=["GET", "POST"])
@profiles(GESTIONNAIRE)
def index():
    form = PersonForm()
    created = saved(form, lambda: rpc.call("accounts", "create_technicien", form.person()), CREATED,
                    url_for("habilitations.index"))
    if created:
        return created
    table = _table()
    return render_template("habilitations/index.html", table=table, form=form, pending_review=pending_review(table))


@bp.route("/habilitations/tableau")
@profiles(GESTIONNAIRE)
def table():
    return partial_or_page("habilitations/_table.html", "Tableau des habilitations", table=_table())


@bp.route(f"/habilitations/comptes/<int:account_id>/{ACTION_SEGMENT}", methods=["POST"])
@profiles(GESTIONNAIRE)
def account_action(account_id, action):
    return act_on_account(action, account_id, GESTIONNAIRE_REASON, _table, url_for("habilitations.index"))


@bp.route("/habilitations/revue", methods=["POST"])
@profiles(GESTIONNAIRE)
def confirm_review():
    return action_done(url_for("habilitations.index"), lambda: rpc.call("accounts", "confirm_review"),
                       "Merci : la caisse est informée que votre tableau des habilitations est à jour.")


@bp.route("/habilitations.csv")
@profiles(GESTIONNAIRE)
def export_csv():
    return csv_response(rpc.call("accounts", "habilitation_csv"), current_user.partner_id)
