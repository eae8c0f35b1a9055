"""« Demandes à la caisse »: the partner's requests about its accounts (a gestionnaire's habilitation,
departure or correction; a report of fraud, loss or theft, a technicien's about its own account) and the
caisse's queue where its agents decide them (services.accounts.account_requests holds every rule)."""
from flask import Blueprint, render_template, request, session, url_for
from flask_login import current_user, logout_user

from contracts.errors import NotFound
from contracts.profiles import AGENTS, GESTIONNAIRE, PARTNER_USERS
from services.web import rpc
from services.web.forms import PERSON_FIELDS, iso_date
from services.web.toolkit import REFUSALS, PageForm, done, partial_or_page, profiles, report_refusal

bp = Blueprint("account_requests", __name__)

# URL segment -> (service kind, the form's fields, the sentence once filed)
KINDS = {
    "habilitation": ("habilitation", (*PERSON_FIELDS, "wanted_date", "caisse"),
                     "Votre demande d'habilitation est transmise à la caisse, qui la traite sous 5 jours ouvrés."),
    "depart": ("departure", ("account_id", "date", "successor_id", "caisse"),
               "Le départ est signalé à la caisse : elle le confirme, le compte sera inactivé à la date indiquée."),
    "modification": ("correction", ("account_id", *PERSON_FIELDS, "caisse"),
                     "Votre demande de modification est transmise à la caisse."),
    "signalement": ("report", ("account_id", "cause", "description"),
                    "Le signalement est enregistré : le compte ne peut plus se connecter et la caisse est prévenue."),
}
DATES = ("wanted_date", "date")
DECISION_DONE = {"approve": "La demande est acceptée.", "refuse": "La demande est refusée ; la structure en est informée.",
                 "inactivate": "Le compte est inactivé ; la structure en est informée.",
                 "reactivate": "Le compte est réactivé : une nouvelle invitation est envoyée à la personne."}


def _forms(posted_kind: str | None = None, posted: PageForm | None = None) -> dict:
    forms = {segment: PageForm(fields) for segment, (_kind, fields, _done) in KINDS.items()}
    if posted_kind:
        forms[posted_kind] = posted
    return forms


def _page(forms: dict, status: int = 200):
    accounts = []
    if current_user.profile == GESTIONNAIRE:
        accounts = rpc.call("accounts", "habilitation_table")["rows"]
    return render_template("account_requests/partner.html", rows=rpc.call("accounts", "my_account_requests"),
                           forms=forms, accounts=accounts,
                           gestionnaires=[a for a in accounts if a["profile"] == GESTIONNAIRE and a["status"] == "active"],
                           caisses=current_user.caisses or []), status


@bp.route("/demandes-caisse")
@profiles(*PARTNER_USERS)
def index():
    return _page(_forms())


@bp.route("/demandes-caisse/<kind>", methods=["POST"])
@profiles(*PARTNER_USERS)
def file(kind):
    if kind not in KINDS:
        raise NotFound("Type de demande inconnu.")
    service_kind, fields, success = KINDS[kind]
    data = {name: request.form.get(name, "").strip() for name in fields}
    for name in DATES:
        if name in data:
            data[name] = iso_date(data[name])
    try:
        filed = rpc.call("accounts", "file_account_request", service_kind, data)
    except REFUSALS as exc:
        form = PageForm(fields, request.form)
        report_refusal(form, exc)
        return _page(_forms(kind, form), status=400)
    if service_kind == "report" and filed["account_id"] == current_user.id:
        # Its own account: its session has just ended.
        logout_user()
        session.clear()
        return done(url_for("auth.login"), success + " Votre caisse vous recontactera.", "success")
    return done(url_for("account_requests.detail", account_request_id=filed["id"]), success)


@bp.route("/demandes-caisse/<int:account_request_id>")
@profiles(*PARTNER_USERS)
def detail(account_request_id):
    return render_template("account_requests/detail.html", r=rpc.call("accounts", "account_request", account_request_id),
                           caisse_side=False, form=PageForm(("reason",)))


# --- the caisse -------------------------------------------------------------------------------

@bp.route("/caisse/demandes-partenaires")
@profiles(*AGENTS)
def queue():
    return render_template("account_requests/queue.html", rows=rpc.call("accounts", "account_request_queue"))


def _caisse_detail(account_request_id, form: PageForm, status: int = 200):
    return render_template("account_requests/detail.html", caisse_side=True, form=form,
                           r=rpc.call("accounts", "account_request", account_request_id)), status


@bp.route("/caisse/demandes-partenaires/<int:account_request_id>")
@profiles(*AGENTS)
def caisse_detail(account_request_id):
    return _caisse_detail(account_request_id, PageForm(("reason", "decision")))


@bp.route("/caisse/demandes-partenaires/<int:account_request_id>/decision", methods=["POST"])
@profiles(*AGENTS)
def decide(account_request_id):
    decision = request.form.get("decision", "")
    try:
        rpc.call("accounts", "decide_account_request", account_request_id, decision, request.form.get("reason", ""))
    except REFUSALS as exc:
        form = PageForm(("reason", "decision"), request.form)
        report_refusal(form, exc)
        return _caisse_detail(account_request_id, form, status=400)
    return done(url_for("account_requests.caisse_detail", account_request_id=account_request_id),
                DECISION_DONE.get(decision))


@bp.route("/fragments/demandes-des-partenaires")
@profiles(*AGENTS)
def counts():
    """The agent's home page: how many wait, how many are late, how many reports."""
    return partial_or_page("account_requests/_counts.html", "Demandes des partenaires à la caisse",
                           counts=rpc.call("accounts", "account_request_counts"))
