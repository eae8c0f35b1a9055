"""The logged-in user as the web holds it: the account summary the accounts
service returned at login, kept in the session. No business data beyond it."""
from flask import session
from flask_login import LoginManager, UserMixin

from contracts.schemas import PROFILE_LABELS

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Veuillez vous connecter pour accéder à cette page."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"

SESSION_KEY = "account"


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
    def profile_label(self):
        return PROFILE_LABELS.get(self.summary["profile"], self.summary["profile"])

    @property
    def display_name(self):
        return f"{self.summary['first_name']} {self.summary['last_name']}"

    @property
    def identity(self) -> dict:
        """What services authorise on (signed per call by services.web.rpc)."""
        return {k: self.summary.get(k) for k in ("id", "profile", "caisse_code", "partner_id")}


@login_manager.user_loader
def load_user(user_id):
    summary = session.get(SESSION_KEY)
    if summary and str(summary.get("id")) == user_id:
        return User(summary)
    return None
