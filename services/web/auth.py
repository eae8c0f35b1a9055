"""Login, logout and password reset. The accounts service decides; the web
only opens and closes the session."""
from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from contracts.errors import InvalidToken, ServiceError, ServiceUnavailable, ValidationFailed
from services.web import rpc
from services.web.forms import ForgotPasswordForm, LoginForm, NewPasswordForm
from services.web.users import SESSION_KEY, User

bp = Blueprint("auth", __name__)


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            summary = rpc.call("accounts", "authenticate", form.email.data, form.password.data)
        except ServiceError as exc:
            error = exc.message
        except ServiceUnavailable as exc:
            error = exc.message
        else:
            session.clear()                  # no state carried over from before login
            session[SESSION_KEY] = summary
            login_user(User(summary))
            return redirect(url_for("home.index"))
    return render_template("login.html", form=form, error=error)


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/mot-de-passe/oublie", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        rpc.call("accounts", "request_password_reset", form.email.data)
        flash("Si un compte actif correspond à cette adresse, un courriel contenant un lien "
              "de réinitialisation vient d'être envoyé. Le lien est valable une heure.", "info")
        return redirect(url_for("auth.login"))
    return render_template("forgot_password.html", form=form)


@bp.route("/mot-de-passe/nouveau/<token>", methods=["GET", "POST"])
def new_password(token):
    form = NewPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            rpc.call("accounts", "reset_password", token, form.password.data)
        except ValidationFailed as exc:
            form.password.errors = list(form.password.errors) + [exc.fields.get("password", exc.message)]
        except InvalidToken as exc:
            error = exc.message
        else:
            flash("Votre mot de passe est enregistré. Vous pouvez vous connecter.", "success")
            return redirect(url_for("auth.login"))
    rules = rpc.call("accounts", "password_rules")
    return render_template("new_password.html", form=form, rules=rules, error=error)
