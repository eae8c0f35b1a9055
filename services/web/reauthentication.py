"""« Confirmez votre identité »: creating or inactivating an account needs a recent
proof of identity on the session (accounts refuses with ReauthenticationRequired).

The refused POST is answered with a small form (password or code) that carries the
action's own fields, hidden; submitting it proves the identity first (pipeline.prove_first,
before the view runs) and then the very same view runs again with the same fields:
the action is replayed, not retyped. An HTMX action gets the form in place of the
page's content (HX-Retarget), as a plain form: the replay is a full page request.
"""
from flask import Flask, render_template, request

from contracts.errors import ReauthenticationRequired
from services.web.forms import ReauthenticationForm

FIELD = "reauth_proof"
NOT_REPLAYED = ("csrf_token", FIELD)


def form_page(form, message=None):
    carried = [(name, value) for name, values in request.form.lists() if name not in NOT_REPLAYED
               for value in values]
    response = render_template("reauthentication.html" if not request.htmx else "partials/reauthentication.html",
                               form=form, carried=carried, action=request.full_path.rstrip("?"), message=message)
    headers = {"HX-Retarget": "#contenu", "HX-Reswap": "innerHTML"} if request.htmx else {}
    return response, 200, headers


def init_app(app: Flask) -> None:
    @app.errorhandler(ReauthenticationRequired)
    def reauthentication_required(exc):
        return form_page(ReauthenticationForm(formdata=None), exc.message)
