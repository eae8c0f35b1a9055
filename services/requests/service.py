"""The requests service: thin nameko entrypoints over the domain modules."""
import sqlalchemy as sa
from nameko.rpc import rpc

from contracts import events
from contracts.errors import EXPECTED
from services.common.caller import Caller
from services.common.config import database_url, rpc_secret
from services.common.db import Database
from services.requests import history


class RequestsService:
    name = events.REQUESTS

    db = Database("requests", lambda: database_url("requests"))
    caller = Caller(rpc_secret)

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok", "database": self.db.bind.dialect.name}

    @rpc(expected_exceptions=EXPECTED)
    def recent_for_my_partner(self, limit=10):
        who = self.caller.require("gestionnaire", "technicien")
        return history.recent_for_partner(self.db, who["partner_id"], min(int(limit), 50))

    @rpc(expected_exceptions=EXPECTED)
    def open_counts_for_my_caisse(self):
        who = self.caller.require("agent_caisse")
        return history.open_counts_for_caisse(self.db, who["caisse_code"])
