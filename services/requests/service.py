"""The requests service: thin nameko entrypoints over the domain modules.

Every method takes its caller from the signed identity; the scope module
decides what that caller may see, so no method can be asked for another
partner's or another caisse's requests. Events are written with the change
and relayed after the entrypoint (services.common.event_outbox).
"""
from nameko.timer import timer

from contracts.events import REQUESTS
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, PARTNER_USERS, TECHNICIEN
from services.common.caller import Caller
from services.common.config import rpc_secret
from services.common.db import Database
from services.common.entrypoint import rpc
from services.common import event_outbox, health
from services.common.rpc import ServiceRpc
from services.requests import (caisse_settings, catalogue, drafts, history, lifecycle, personal_data, retention, scope,
                               settings, summary, validation)
from services.requests.models import EventOutbox
from services.requests.scanning import Scanner
from services.requests.storage import Storage


# The mixins by their module: `nameko run` takes every class of this module that has entrypoints for a service.
class RequestsService(health.Health, event_outbox.RelaysEvents):
    name = REQUESTS

    db = Database("requests", settings.database_url)
    caller = Caller(rpc_secret)
    scanner = Scanner()
    storage = Storage()
    services = ServiceRpc(timeout=3)
    events = event_outbox.Events(EventOutbox)

    @rpc
    def form_catalogue(self):
        """Request kinds, their fields and choices, departments, status labels: what the screens show."""
        return catalogue.form_catalogue()

    @rpc
    def check_field(self, kind, name, value):
        """One field checked as it is typed, by the rules of the submission (NIR refused…)."""
        self.caller.require(*PARTNER_USERS, AGENT_CAISSE)
        return {"error": validation.field_problem(kind, name, value)}

    # --- partner side -------------------------------------------------------------------
    @rpc
    def request_form(self, kind, caisse_code):
        """The form of one kind for one caisse: refused when the convention does not open it."""
        return caisse_settings.form(self.db, self.caller.require(TECHNICIEN), kind, caisse_code)

    @rpc
    def submit(self, kind, caisse_code, data, files=None, idempotency_key=None):
        who = self.caller.require(TECHNICIEN)
        created = lifecycle.submit(self.db, who, kind, caisse_code, data, files, self.scanner, self.storage,
                                   lifecycle.router(self.services), idempotency_key)
        drafts.discard(self.db, who, kind, caisse_code)
        return created

    # --- typed input kept when a session expires (services.requests.drafts) -------------------
    @rpc
    def keep_draft(self, account_id, kind, caisse_code, fields):
        """The web only (its signed service identity), for the account of the session that just expired."""
        return drafts.keep(self.db, self.caller.require("service"), account_id, kind, caisse_code, fields)

    @rpc
    def take_my_draft(self, kind, caisse_code):
        return drafts.take(self.db, self.caller.require(TECHNICIEN), kind, caisse_code)

    @rpc
    def recent_for_my_partner(self, limit=10):
        who = self.caller.require(*PARTNER_USERS)
        return history.search(self.db, who, {}, None, min(int(limit), 50), consulted=False)["rows"]

    # --- both sides ---------------------------------------------------------------------
    @rpc
    def search(self, filters=None, cursor=None, limit=history.PAGE_SIZE):
        who = self.caller.require(*PARTNER_USERS, AGENT_CAISSE)
        return history.search(self.db, who, dict(filters or {}), cursor, limit)

    @rpc
    def get(self, request_id):
        who = self.caller.require(*PARTNER_USERS, AGENT_CAISSE)
        return lifecycle.detail(self.db, who, scope.get(self.db, who, request_id))

    @rpc
    def act(self, request_id, action, message="", files=None):
        return lifecycle.act(self.db, self.caller.require(TECHNICIEN, AGENT_CAISSE), request_id, action, message,
                             files, self.scanner, self.storage, self.events)

    @rpc
    def download(self, request_id, attachment_id):
        who = self.caller.require(*PARTNER_USERS, AGENT_CAISSE)
        return lifecycle.download(self.db, who, request_id, attachment_id, self.storage)

    @rpc
    def my_notification_preferences(self):
        return lifecycle.preferences(self.db, self.caller.require(TECHNICIEN))

    @rpc
    def set_my_notification_preferences(self, status_changes, messages):
        return lifecycle.set_preferences(self.db, self.caller.require(TECHNICIEN), status_changes, messages)

    # --- caisse side --------------------------------------------------------------------
    @rpc
    def caisse_overview(self):
        return history.caisse_overview(self.db, self.caller.require(AGENT_CAISSE))

    # --- the caisse's settings of requests (its administrateur, the national administrator) ---
    @rpc
    def request_settings(self, caisse_code=None):
        return caisse_settings.get(self.db, self.caller.require(AGENT_CAISSE, ADMIN_NATIONAL), caisse_code)

    @rpc
    def save_request_settings(self, data, caisse_code=None):
        return caisse_settings.save(self.db, self.caller.require(AGENT_CAISSE, ADMIN_NATIONAL), data, caisse_code)

    # --- an insured person's data, on request (GDPR) ---------------------------------------
    @rpc
    def personal_data_find(self, person):
        return personal_data.find(self.db, self.caller.require(AGENT_CAISSE), person)

    @rpc
    def personal_data_export(self, person):
        return personal_data.export(self.db, self.caller.require(AGENT_CAISSE), person)

    @rpc
    def personal_data_erase(self, person):
        return personal_data.erase(self.db, self.caller.require(AGENT_CAISSE), person, self.storage)

    @timer(interval=3600)
    def purge_finished(self):
        """Finished requests past the caisse's retention period (EP_REQUEST_RETENTION_DAYS; 0: kept), and
        the drafts of expired sessions nobody came back for (EP_DRAFT_HOURS)."""
        retention.purge_finished(self.db, self.storage)
        drafts.purge_expired(self.db)

    # Hourly by default; at most once a day per caisse whatever the interval or the instances.
    @timer(interval=settings.summary_check_seconds())
    def late_summary(self):
        """Hourly check, at most one email a day per caisse (claimed in the database)."""
        summary.hourly(self.db, self.services, self.events)
