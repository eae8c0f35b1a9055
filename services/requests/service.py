"""The requests service: thin nameko entrypoints over the domain modules.

Every method takes its caller from the signed identity; the scope module
decides what that caller may see, so no method can be asked for another
partner's or another caisse's requests.
"""
import os

import sqlalchemy as sa
from nameko.timer import timer

from contracts import events
from contracts.errors import EXPECTED, ServiceUnavailable
from services.common.caller import Caller
from services.common.config import database_url, instance_id, rpc_secret
from services.common.db import Database
from services.common.entrypoint import rpc
from services.common.event_outbox import Emit, EventRelay
from services.common.rpc import ServiceRpc
from services.requests import history, lifecycle, personal_data, retention, scope, summary, validation
from services.requests.catalogue import KINDS, STATUSES
from services.requests.models import EventOutbox
from services.requests.scanning import Scanner
from services.requests.storage import Storage

PARTNER = ("technicien", "gestionnaire")


class RequestsService:
    name = events.REQUESTS

    db = Database("requests", lambda: database_url("requests"))
    caller = Caller(rpc_secret)
    scanner = Scanner()
    storage = Storage()
    services = ServiceRpc(timeout=3)
    relay = EventRelay(EventOutbox)      # events committed with the change, then relayed (common.event_outbox)

    @timer(interval=1)
    def relay_events(self):
        self.relay.send(self.db)

    def _route(self, department):
        """The caisse covering the insured's department; when accounts does not answer,
        the request stays with the convention's caisse (which can forward it)."""
        try:
            return self.services.call("accounts", "caisse_for_department", department)
        except ServiceUnavailable:
            return None

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok", "database": self.db.bind.dialect.name,
                "instance": instance_id()}

    @rpc
    def form_catalogue(self):
        """Request kinds, their fields and choices, departments, status labels: what the screens show."""
        return {**validation.catalogue(), "kinds": KINDS, "statuses": STATUSES}

    @rpc(expected_exceptions=EXPECTED)
    def check_field(self, kind, name, value):
        """One field checked as it is typed, by the rules of the submission (NIR refused…)."""
        self.caller.require(*PARTNER, "agent_caisse")
        return {"error": validation.field_problem(kind, name, value)}

    # --- partner side -------------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def submit(self, kind, caisse_code, data, files=None, idempotency_key=None):
        who = self.caller.require("technicien")
        return lifecycle.submit(self.db, who, kind, caisse_code, data, files, self.scanner, self.storage, self._route,
                                idempotency_key)

    @rpc(expected_exceptions=EXPECTED)
    def recent_for_my_partner(self, limit=10):
        who = self.caller.require(*PARTNER)
        return history.search(self.db, who, {}, None, min(int(limit), 50))["rows"]

    # --- both sides ---------------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def search(self, filters=None, cursor=None, limit=history.PAGE_SIZE):
        who = self.caller.require(*PARTNER, "agent_caisse")
        return history.search(self.db, who, dict(filters or {}), cursor, limit)

    @rpc(expected_exceptions=EXPECTED)
    def get(self, request_id):
        who = self.caller.require(*PARTNER, "agent_caisse")
        return lifecycle.detail(self.db, who, scope.get(self.db, who, request_id))

    @rpc(expected_exceptions=EXPECTED)
    def act(self, request_id, action, message="", files=None):
        who = self.caller.require("technicien", "agent_caisse")
        emitted = Emit(self.db, EventOutbox)
        result = lifecycle.act(self.db, who, request_id, action, message, files, self.scanner, self.storage, emitted)
        self.relay.send(self.db, emitted)
        return result

    @rpc(expected_exceptions=EXPECTED)
    def download(self, request_id, attachment_id):
        who = self.caller.require(*PARTNER, "agent_caisse")
        return lifecycle.download(self.db, who, request_id, attachment_id, self.storage)

    @rpc(expected_exceptions=EXPECTED)
    def my_notification_preferences(self):
        return lifecycle.preferences(self.db, self.caller.require("technicien"))

    @rpc(expected_exceptions=EXPECTED)
    def set_my_notification_preferences(self, status_changes, messages):
        return lifecycle.set_preferences(self.db, self.caller.require("technicien"), status_changes, messages)

    # --- caisse side --------------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def caisse_overview(self):
        return history.caisse_overview(self.db, self.caller.require("agent_caisse"))

    @rpc(expected_exceptions=EXPECTED)
    def set_late_delay(self, days):
        return history.set_late_delay(self.db, self.caller.require("agent_caisse"), days)

    # --- an insured person's data, on request (GDPR) ---------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def personal_data_find(self, person):
        return personal_data.find(self.db, self.caller.require("agent_caisse"), person)

    @rpc(expected_exceptions=EXPECTED)
    def personal_data_export(self, person):
        return personal_data.export(self.db, self.caller.require("agent_caisse"), person)

    @rpc(expected_exceptions=EXPECTED)
    def personal_data_erase(self, person):
        return personal_data.erase(self.db, self.caller.require("agent_caisse"), person, self.storage)

    @timer(interval=3600)
    def purge_finished(self):
        """Finished requests past the caisse's retention period (EP_REQUEST_RETENTION_DAYS; 0: kept)."""
        retention.purge_finished(self.db, self.storage)

    # Hourly by default; at most once a day per caisse whatever the interval or the instances.
    @timer(interval=int(os.environ.get("EP_SUMMARY_CHECK_SECONDS", "3600")))
    def late_summary(self):
        """Hourly check, at most one email a day per caisse (claimed in the database)."""
        emitted = Emit(self.db, EventOutbox)
        try:
            summary.daily(self.db, lambda code: self.services.call_as_service("accounts", "caisse_agents", code),
                          emit=emitted)
        except ServiceUnavailable:
            return                          # accounts is down: the next hour tries again
        self.relay.send(self.db, emitted)
