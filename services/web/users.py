"""The logged-in user as the web holds it: nothing but the opaque token of a
server-side session kept by the accounts service (services/accounts/sessions.py).

Every request resumes that session with one accounts call (pipeline.load_user), which also returns
the account's fresh summary: a session ended by logout, a timeout, a password
change or an inactivation (fraud, loss, theft) stops working at its next request. A page read may
reuse this process's check of the last few seconds, forgotten as soon as accounts announces a change
(session_cache.py).
If accounts does not answer, the request is refused with a "réessayez" page
(fail closed: an ended session must not be honoured because its judge is away),
not treated as a logout: the cookie is kept, and the person carries on, form
and all, as soon as accounts answers again.
"""
from flask import session
from flask_login import LoginManager, UserMixin

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Veuillez vous connecter pour accéder à cette page."
login_manager.login_message_category = "info"
# The session token is checked server-side on every request; flask-login's own
# "session protection" (a hash of IP and user agent) would add nothing but false alarms.
login_manager.session_protection = None

SESSION_KEY = "sid"
# What the services authorise on: who, where, what the partner may use with each caisse,
# and through which session (accounts refuses a call from an ended one).
IDENTITY_KEYS = ("id", "profile", "caisse_code", "partner_id", "pending", "first_name", "last_name", "email",
                 "caisses", "habilitated_body", "session_id", "caisse_admin")


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
    def caisse_admin(self) -> bool:
        """An agent holding the role « administrateur de caisse » (its caisse's staff and settings)."""
        return bool(self.summary.get("caisse_admin"))

    @property
    def display_name(self):
        return f"{self.summary['first_name']} {self.summary['last_name']}"

    @property
    def identity(self) -> dict:
        """What services authorise on (signed per call by services.web.rpc)."""
        return identity_of(self.summary)


def identity_of(summary: dict) -> dict:
    return {k: summary.get(k) for k in IDENTITY_KEYS}


def open_session(summary: dict) -> User:
    """After login: a fresh cookie holding only the new session's token."""
    session.clear()                  # nothing carried over from before login
    session[SESSION_KEY] = summary["session_token"]
    return User({k: v for k, v in summary.items() if k != "session_token"})


def refresh(summary: dict) -> None:
    """A summary an accounts call just returned (CGU accepted, password changed) serves the rest of the request."""
    from flask_login import current_user

    if current_user.is_authenticated:
        current_user.summary = {**current_user.summary, **summary}
