"""Nothing typed is lost when the session expires in the middle of a long request form (issue 15, point 7).

The session ends (inactivity, maximum length) while the person types; their POST then arrives with no
session. Instead of the login page alone, the web sends what was typed — the form's fields, never its
files — to the requests service as a draft bound to the account of the session that just expired (the
web vouches for it under its own signed service identity, ``service: web``; the account id comes from
the signed cookie that carried the expired session), then sends the person to the login page with
« Votre saisie a été conservée ». After signing in they land back on the form, which takes the draft back
(the service deletes it as it gives it; filing the request or 24 hours delete it too).

What is typed never goes into the web's cookie or session (only the form's address), the browser's
storage, the accounts service or a log line; a NIR typed by mistake is not kept (services.requests.drafts).
"""
import logging

from flask import g, session, url_for
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
KEPT = ("Votre session a expiré, mais votre saisie a été conservée : reconnectez-vous pour retrouver le formulaire "
        "rempli. Les pièces jointes seront à choisir de nouveau.")
WITHOUT_NIR = " Un champ qui contenait un numéro de sécurité sociale n'a pas été conservé."
RESTORED = ("Votre saisie a été conservée : vérifiez-la avant de déposer la demande. Les pièces jointes sont à "
            "choisir de nouveau.")


def note_expired(account_id: str) -> None:
    """Called when the session behind the cookie turned out to have ended (pipeline.load_user)."""
    g.expired_account = account_id


def keep_typed_input():
    """Guard (pipeline.GUARDS, right after the session is resumed): the POST of a drafted form whose
    session just expired keeps its input and goes to the login page; anything else carries on."""
    account = g.pop("expired_account", None)
    form_of = DRAFTED.get(request.endpoint)
    if request.method != "POST" or form_of is None or account is None or current_user.is_authenticated:
        return None
    kind, caisse_code = form_of(request.view_args)
    typed = {name: value for name, value in values_for_display(request.form).items() if name not in NOT_TYPED}
    try:
        kept = rpc.call("requests", "keep_draft", int(account), kind, caisse_code, typed, who=WEB_IDENTITY)
    except (ServiceUnavailable, ServiceError, ValueError) as exc:
        log.warning("typed input of an expired session not kept: %s", type(exc).__name__)
        return None                                          # the ordinary way: the login page
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
