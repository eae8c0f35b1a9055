"""The caisse's news (agents publish, partners' users read), the newsletter
subscriptions of partners' users, and the one-click unsubscribe link of every
newsletter email. The notifier owns news, subscriptions and the digest."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from contracts.errors import InvalidToken, NotAuthorized, ValidationFailed
from contracts.profiles import AGENT_CAISSE, PARTNER_USERS
from services.web import rpc
from services.web.toolkit import REFUSALS, PageForm, error_page, profiles, refusal_message, report_refusal

bp = Blueprint("news", __name__)

READERS = (AGENT_CAISSE, *PARTNER_USERS)
FIELDS = ("title", "body", "date")


def caisse_names() -> dict:
    return {c["code"]: c["name"] for c in current_user.caisses or []} or \
        {current_user.caisse_code: current_user.caisse_name}


@bp.route("/actualites", methods=["GET", "POST"])
@profiles(*READERS)
def index():
    form, status = PageForm(FIELDS), 200
    if request.method == "POST":
        if current_user.profile != AGENT_CAISSE:
            raise NotAuthorized("Seuls les agents de la caisse publient des actualités.")
        form.values = {k: request.form.get(k, "") for k in FIELDS}
        try:
            rpc.call("notifier", "publish_news", form.values)
        except REFUSALS as exc:
            report_refusal(form, exc)
            status = 400
        else:
            flash("L'actualité est publiée ; elle partira aussi dans la prochaine lettre d'information.", "success")
            return redirect(url_for("news.index"), 303)
    try:
        page, error = rpc.call("notifier", "list_news", None, request.args.get("apres") or None), None
    except ValidationFailed as exc:           # a bad « apres »: said above the rows, as the other lists do
        page, error = {"rows": [], "next_cursor": None}, refusal_message(exc)
    return render_template("news/index.html", page=page, form=form, caisse_names=caisse_names(),
                           error=error), status


@bp.route("/mon-compte/lettre-d-information", methods=["POST"])
@profiles(*PARTNER_USERS)
def subscription():
    rpc.call("notifier", "set_newsletter_subscription", request.form.get("caisse_code", ""),
             request.form.get("subscribed") == "oui")
    flash("Votre choix pour la lettre d'information est enregistré.", "success")
    return redirect(url_for("requests_ui.notifications"), 303)


@bp.route("/actualites/desabonnement/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """GET: a confirmation button (a mail scanner following links unsubscribes no one).
    POST: the one-click unsubscribe (RFC 8058), sent by mail clients without any session."""
    if request.method == "GET":
        return render_template("news/unsubscribe.html", token=token, done=False)
    try:
        rpc.call("notifier", "unsubscribe_by_token", token, who={})
    except InvalidToken as exc:
        return error_page(404, exc.message, "Lien non valable")
    return render_template("news/unsubscribe.html", token=token, done=True)
