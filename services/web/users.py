"""The logged-in user as the web holds it: the account summary the accounts
service returned, kept in the session and refreshed on every request, so an
account inactivated by the caisse (fraud, loss, theft) stops working at its
next request. No business data beyond it."""
import logging

from flask import flash, session
from flask_login import LoginManager, UserMixin

from contracts.errors import AccountInactive, NotAuthenticated, ServiceUnavailable

log = logging.getLogger(__name__)

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Veuillez vous connecter pour accéder à cette page."
login_manager.login_message_category = "info"

SESSION_KEY = "account"
# What the services authorise on: who, where, and what the partner may use with each caisse.
IDENTITY_KEYS = ("id", "profile", "caisse_code", "partner_id", "pending", "first_name", "last_name", "email",
                 "caisses", "habilitated_body")


class User(UserMixin):
    def __init__(self, summary: dict):
        self.summary = summary

    def get_id(self):
        return str(self.summary["id"])

    def __getattr__(self, name):
        try:
            return self.summary[name]
        except KeyError:
            raise AttributeError(name)

    @property
    def display_name(self):
        return f"{self.summary['first_name']} {self.summary['last_name']}"

    @property
    def identity(self) -> dict:
        """What services authorise on (signed per call by services.web.rpc)."""
        return identity_of(self.summary)


def identity_of(summary: dict) -> dict:
    return {k: summary.get(k) for k in IDENTITY_KEYS}


def remember(summary: dict) -> User:
    session[SESSION_KEY] = summary
    return User(summary)


@login_manager.user_loader
def load_user(user_id):
    from services.web import rpc

    summary = session.get(SESSION_KEY)
    if not summary or str(summary.get("id")) != user_id:
        return None
    try:
        fresh = rpc.call_as(summary, "accounts", "me", timeout=2)
    except (NotAuthenticated, AccountInactive) as exc:
        session.clear()
        flash(getattr(exc, "message", "Votre session a pris fin."), "info")
        return None
    except ServiceUnavailable:
        # Availability over freshness: the accounts service being down must not log
        # everyone out of the other services' screens; the session stays as it was.
        log.warning("accounts unavailable: session of %s not refreshed", user_id)
        return User(summary)
    return remember(fresh)
