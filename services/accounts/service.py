"""The accounts service: thin nameko entrypoints over the domain modules."""
import sqlalchemy as sa
from nameko.events import EventDispatcher
from nameko.rpc import rpc

from contracts import events
from contracts.errors import EXPECTED
from services.common.caller import Caller
from services.common.config import database_url, rpc_secret
from services.common.db import Database
from services.accounts import authentication, passwords


class AccountsService:
    name = events.ACCOUNTS

    db = Database("accounts", lambda: database_url("accounts"))
    caller = Caller(rpc_secret)
    dispatch = EventDispatcher()

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok", "database": self.db.bind.dialect.name}

    @rpc(expected_exceptions=EXPECTED)
    def authenticate(self, email, password):
        """Anonymous: the web calls this to open a session."""
        return authentication.authenticate(self.db, email, password)

    @rpc(expected_exceptions=EXPECTED)
    def me(self):
        who = self.caller.require()
        return authentication.current_account(self.db, who["id"])

    @rpc
    def password_rules(self):
        return passwords.RULES

    @rpc(expected_exceptions=EXPECTED)
    def request_password_reset(self, email):
        """Anonymous. Always answers None, whether or not the email is known."""
        payload = authentication.issue_reset_token(self.db, email)
        if payload:
            self.dispatch(events.PASSWORD_RESET_REQUESTED, payload)

    @rpc(expected_exceptions=EXPECTED)
    def reset_password(self, token, new_password):
        authentication.reset_password(self.db, token, new_password)
