"""« Confirmez votre identité »: creating or inactivating an account needs a recent
proof of identity on the session (accounts refuses with ReauthenticationRequired).

The refused POST is answered with a small form (password or code) that carries the
action's own fields, hidden; submitting it proves the identity first (``prove_first``,
before the view runs) and then the very same view runs again with the same fields:
the action is replayed, not retyped. An HTMX action gets the form in place of the
page's content (HX-Retarget), as a plain form: the replay is a full page request.
"""
from flask import Flask, render_template, request
from flask_login import current_user

from contracts.errors import InvalidCredentials, LoginThrottled, ReauthenticationRequired
from services.web import rpc
from services.web.forms import ReauthenticationForm

FIELD = "reauth_proof"
NOT_REPLAYED = ("csrf_token", FIELD)


def _form_page(form, message=None):
    carried = [(name, value) for name, values in request.form.lists() if name not in NOT_REPLAYED
               for value in values]
    response = render_template("reauthentication.html" if not request.htmx else "partials/reauthentication.html",
                               form=form, carried=carried, action=request.full_path.rstrip("?"), message=message)
    headers = {"HX-Retarget": "#contenu", "HX-Reswap": "innerHTML"} if request.htmx else {}
    return response, 200, headers


def prove_first():
    """A POST carrying the proof: check it with accounts before the view replays the action."""
    if request.method != "POST" or FIELD not in request.form or not current_user.is_authenticated \
            or current_user.pending:
        return None
    form = ReauthenticationForm()
    if not form.validate():
        return _form_page(form)
    try:
        rpc.call("accounts", "reauthenticate", form.reauth_proof.data)
    except (InvalidCredentials, LoginThrottled) as exc:
        form.reauth_proof.errors = [exc.message]
        return _form_page(form)
    return None


def init_app(app: Flask) -> None:
    app.before_request(prove_first)

    @app.errorhandler(ReauthenticationRequired)
    def reauthentication_required(exc):
        return _form_page(ReauthenticationForm(formdata=None), exc.message)
