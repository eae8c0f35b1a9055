"""Nothing typed is lost when the session expires in the middle of a long request form (issue 15, point 7).

The session ends (inactivity, maximum length) while the person types; their POST then arrives with no
session. Instead of the login page alone, the web sends what was typed — the form's fields, never its
files — to the requests service as a draft bound to the account of the session that just expired (the
web vouches for it under its own signed service identity, ``service: web``; the account id comes from
the signed cookie that carried the expired session), then sends the person to the login page with
« Votre saisie a été conservée ». After signing in they land back on the form, which takes the draft back
(the service deletes it as it gives it; filing the request or 24 hours delete it too).

The expiry is often noticed first by another request of the page (a field checked as it is typed): the
cookie then keeps the expired session's account id and its CSRF token (never what was typed) until the next
login, so that the form's own POST is still accepted and kept; the live check stays silent meanwhile.

What is typed never goes into the web's cookie or session (only the form's address), the browser's
storage, the accounts service or a log line; a NIR typed by mistake is not kept (services.requests.drafts).
"""
import logging

from flask import render_template, session, url_for
from flask_login import current_user
from htmx_flask import request

from contracts.errors import ServiceError, ServiceUnavailable
from services.web import rpc
from services.web.request_forms import values_for_display
from services.web.toolkit import done

log = logging.getLogger(__name__)

# The forms whose typed input is kept: endpoint -> its form's (kind, caisse) from the URL.
DRAFTED = {"requests_ui.new_form": lambda args: (args["kind"], args["caisse_code"])}
NOT_TYPED = {"csrf_token", "idempotency_key"}
WEB_IDENTITY = {"id": None, "profile": "service", "service": "web"}
RESUME_KEY = "resume_at"                 # the form's address, in the cookie until the next login: no content
EXPIRED_KEY = "expired_account"          # the account of the session that ended, until the next login
# A field checked as it is typed, on a drafted form: silent once the session has ended.
LIVE_CHECK = "requests_ui.check_field"
KEPT = ("Votre session a expiré, mais votre saisie a été conservée : reconnectez-vous pour retrouver le formulaire "
        "rempli. Les pièces jointes seront à choisir de nouveau.")
WITHOUT_NIR = " Un champ qui contenait un numéro de sécurité sociale n'a pas été conservé."
RESTORED = ("Votre saisie a été conservée : vérifiez-la avant de déposer la demande. Les pièces jointes sont à "
            "choisir de nouveau.")


def kept_after_expiry(account_id: str) -> dict:
    """What the cookie keeps when the session behind it turned out to have ended (pipeline.load_user): the
    account id it belonged to and the CSRF token, so that the open form's POST can still be kept."""
    return {key: value for key, value in ((EXPIRED_KEY, account_id), ("csrf_token", session.get("csrf_token")))
            if value}


def keep_typed_input():
    """Guard (pipeline.GUARDS, right after the session is resumed): the POST of a drafted form whose
    session has ended keeps its input and goes to the login page; anything else carries on."""
    if current_user.is_authenticated or EXPIRED_KEY not in session or request.method != "POST":
        return None
    if request.endpoint == LIVE_CHECK:
        return render_template("requests/_field_check.html", error=None)
    form_of = DRAFTED.get(request.endpoint)
    if form_of is None:
        return None
    kind, caisse_code = form_of(request.view_args)
    typed = {name: value for name, value in values_for_display(request.form).items() if name not in NOT_TYPED}
    try:
        kept = rpc.call("requests", "keep_draft", int(session[EXPIRED_KEY]), kind, caisse_code, typed,
                        who=WEB_IDENTITY)
    except (ServiceUnavailable, ServiceError, ValueError) as exc:
        log.warning("typed input of an expired session not kept: %s", type(exc).__name__)
        return None                                          # the ordinary way: the login page
    session.pop(EXPIRED_KEY)
    session[RESUME_KEY] = url_for(request.endpoint, **request.view_args)
    return done(url_for("auth.login"), KEPT + (WITHOUT_NIR if kept["without_nir"] else ""), "info")


def resume_url() -> str | None:
    """Where a login goes when an expired session's input waits (taken out of the cookie)."""
    target = session.pop(RESUME_KEY, None)
    return target if isinstance(target, str) and target.startswith("/") and not target.startswith("//") else None


def take_back(kind: str, caisse_code: str) -> dict | None:
    """The draft of this form kept for the signed-in person, if any (given once)."""
    try:
        return rpc.call("requests", "take_my_draft", kind, caisse_code)
    except (ServiceUnavailable, ServiceError):
        return None
