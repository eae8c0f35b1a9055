"""Logging in and out, the steps due at login (CGU, expired password; pipeline.py keeps
the person on them), and the pages password links open. The accounts service decides;
the web only opens, refreshes and closes the session."""
import logging

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from contracts.errors import (InvalidToken, NotAuthenticated, ProfileChoiceRequired, SecondFactorRequired, ServiceError,
                              ServiceUnavailable)
from contracts.profiles import PROFILES
from services.web import drafts, rpc
from services.web.forms import (ChangePasswordForm, CguForm, EndOtherSessionsForm, ForgotPasswordForm, LoginForm,
                                NewPasswordForm, ProfileChoiceForm, SecondFactorLoginForm)
from services.web.toolkit import REFUSALS, report_refusal
from services.web.users import open_session, refresh

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


def _open_session(summary):
    resume = drafts.resume_url()                  # a form whose input was kept when the session expired
    login_user(open_session(summary))
    return redirect(resume or url_for("home.index"), 303)


def _device() -> str:
    """Shown in "Mon compte" to tell sessions apart (accounts keeps only browser and system)."""
    return request.user_agent.string[:512]


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            # The client address (ProxyFix's, as rate_limits counts it): a lock set by a stranger elsewhere
            # does not apply where the account usually signs in from (services.accounts.places).
            return _open_session(rpc.call("accounts", "authenticate", form.email.data, form.password.data,
                                          _device(), request.remote_addr or ""))
        except ProfileChoiceRequired as exc:
            choice = ProfileChoiceForm(ticket=exc.ticket)
            choice.profile.choices = [(c["profile"], c["label"]) for c in exc.choices]
            return render_template("login_choice.html", form=choice, message=exc.message)
        except SecondFactorRequired as exc:
            return _code_page(SecondFactorLoginForm(formdata=None, ticket=exc.ticket))
        except (ServiceError, ServiceUnavailable) as exc:
            error = exc.message
    return render_template("login.html", form=form, error=error)


@bp.route("/connexion/profil", methods=["POST"])
def login_choice():
    form = ProfileChoiceForm()
    form.profile.choices = [(p, p) for p in PROFILES]
    if form.validate_on_submit():
        try:
            return _open_session(rpc.call("accounts", "authenticate_choice", form.ticket.data, form.profile.data))
        except SecondFactorRequired as exc:
            return _code_page(SecondFactorLoginForm(formdata=None, ticket=exc.ticket))
        except ServiceError as exc:
            flash(exc.message, "error")
    return redirect(url_for("auth.login"), 303)


def _code_page(form, error=None, status=200):
    return render_template("login_second_factor.html", form=form, error=error), status


@bp.route("/connexion/code", methods=["POST"])
def login_second_factor():
    """Last step for an account with a second factor; the ticket (5 minutes) proves the password."""
    form = SecondFactorLoginForm()
    if not form.validate_on_submit():
        return _code_page(form)
    try:
        return _open_session(rpc.call("accounts", "authenticate_second_factor", form.ticket.data,
                                      (form.code.data or "").strip() or form.recovery_code.data))
    except NotAuthenticated as exc:                   # the ticket expired: back to the password
        flash(exc.message, "error")
        return redirect(url_for("auth.login"), 303)
    except (ServiceError, ServiceUnavailable) as exc:
        return _code_page(form, exc.message)


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    try:
        rpc.call("accounts", "end_session")          # server-side: a copy of the cookie opens nothing now
        ended = True
    except (ServiceError, ServiceUnavailable) as exc:
        log.warning("session not ended by accounts at logout: %s", exc)
        ended = False
    logout_user()
    session.clear()
    if ended:
        flash("Vous êtes déconnecté.", "info")
    else:                                            # the cookie is gone here, but a copy of it would still open
        flash("Vous êtes déconnecté de ce navigateur, mais la session n'a pas pu être fermée sur le serveur : "
              "elle prendra fin d'elle-même après une période sans activité. Sur un ordinateur partagé, "
              "fermez le navigateur.", "warning")
    return redirect(url_for("auth.login"), 303)


@bp.route("/cgu", methods=["GET", "POST"])
@login_required
def cgu():
    version = rpc.call("accounts", "current_cgu_version")
    form = CguForm()
    if form.validate_on_submit():
        refresh(rpc.call("accounts", "accept_cgu", version))
        flash("Merci : les conditions générales d'utilisation sont acceptées.", "success")
        return redirect(url_for("home.index"), 303)
    return render_template("cgu.html", form=form, version=version,
                           required="cgu" in (current_user.pending or []))


@bp.route("/mon-compte", methods=["GET"])
@login_required
def account():
    return render_template("account.html", form=ChangePasswordForm(), rules=rpc.call("accounts", "password_rules"),
                           sessions=rpc.call("accounts", "my_sessions"), end_others=EndOtherSessionsForm())


@bp.route("/mon-compte/sessions/fermer-les-autres", methods=["POST"])
@login_required
def end_other_sessions():
    if EndOtherSessionsForm().validate_on_submit():
        ended = rpc.call("accounts", "end_other_sessions")
        flash("Aucune autre session n'était ouverte." if not ended else
              f"{ended} autre(s) session(s) fermée(s) : seule celle-ci reste ouverte.", "success")
    return redirect(url_for("auth.account"), 303)


@bp.route("/mon-compte/mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    expired = "password_expired" in (current_user.pending or [])
    if form.validate_on_submit():
        try:
            refresh(rpc.call("accounts", "change_password", form.current_password.data, form.password.data))
        except REFUSALS as exc:
            report_refusal(form, exc)
        else:
            flash("Votre mot de passe est modifié. Un courriel de confirmation vous est envoyé.", "success")
            return redirect(url_for("home.index"), 303)
    return render_template("change_password.html", form=form, expired=expired,
                           rules=rpc.call("accounts", "password_rules"))


@bp.route("/mot-de-passe/verifier", methods=["POST"])
def check_password():
    """Live feedback while typing (HTMX); the real check runs again on submission."""
    problems = rpc.call("accounts", "check_password", request.form.get("password", "")[:200],
                        request.form.get("email", "")[:254])
    return render_template("partials/password_feedback.html", problems=problems,
                           typed=bool(request.form.get("password")))


@bp.route("/mot-de-passe/oublie", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        rpc.call("accounts", "request_password_reset", form.email.data)
        flash("Si un compte actif correspond à cette adresse, un courriel contenant un lien "
              "de réinitialisation vient d'être envoyé. Le lien est valable une heure.", "info")
        return redirect(url_for("auth.login"), 303)
    return render_template("forgot_password.html", form=form)


@bp.route("/activation/<token>", methods=["GET", "POST"], endpoint="activation")
@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
def new_password(token):
    """Both single-use links land here: the habilitation email's and the reset email's."""
    info = rpc.call("accounts", "token_info", token)
    form = NewPasswordForm()
    if info["state"] == "valid" and form.validate_on_submit():
        try:
            rpc.call("accounts", "set_password_with_token", token, form.password.data)
        except InvalidToken as exc:
            info = {"state": "invalid", "message": exc.message}
        except REFUSALS as exc:
            report_refusal(form, exc)
        else:
            flash("Votre mot de passe est enregistré. Vous pouvez vous connecter.", "success")
            return redirect(url_for("auth.login"), 303)
    return render_template("new_password.html", form=form, info=info, token=token,
                           rules=rpc.call("accounts", "password_rules"))


@bp.route("/activation/<token>/nouveau-lien", methods=["POST"])
def renew_invitation(token):
    try:
        rpc.call("accounts", "renew_expired_invitation", token)
    except InvalidToken as exc:
        flash(exc.message, "error")
        return redirect(url_for("auth.activation", token=token), 303)
    flash("Un nouveau lien d'activation vient de vous être envoyé par courriel.", "success")
    return redirect(url_for("auth.login"), 303)
