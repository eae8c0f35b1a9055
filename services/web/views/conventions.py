"""The gestionnaire's conventions: those of their structure with each caisse, and the proposals
of a caisse that typed its SIRET (accepting opens the structure's habilitations to that caisse)."""
from flask import Blueprint, render_template, url_for
from htmx_flask import request

from contracts.catalogue import FEATURES
from contracts.profiles import GESTIONNAIRE
from services.web import rpc
from services.web.toolkit import action_done, profiles

bp = Blueprint("conventions", __name__)


@bp.route("/conventions")
@profiles(GESTIONNAIRE)
def index():
    return render_template("conventions/index.html", conventions=rpc.call("accounts", "my_conventions"),
                           features=FEATURES)


@bp.route("/conventions/<int:convention_id>/reponse", methods=["POST"])
@profiles(GESTIONNAIRE)
def answer(convention_id):
    accept = request.form.get("accepter") == "1"
    return action_done(url_for("conventions.index"),
                       lambda: rpc.call("accounts", "answer_convention_proposal", convention_id, accept),
                       lambda c: f"La convention proposée par {c['caisse_name']} est acceptée : cette caisse gère "
                                 "désormais les habilitations de votre structure avec vous." if accept else
                                 f"La convention proposée par {c['caisse_name']} est refusée.")
