"""The requests service: thin nameko entrypoints over the domain modules.

Every method takes its caller from the signed identity; the scope module
decides what that caller may see, so no method can be asked for another
partner's or another caisse's requests. Events are written with the change
and relayed after the entrypoint (services.common.event_outbox).
"""
from nameko.timer import timer

from contracts.errors import ServiceUnavailable
from contracts.events import REQUESTS
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, PARTNER_USERS, PROFILES, TECHNICIEN
from services.common.caller import Caller
from services.common.correlation import Correlation
from services.common.config import rpc_secret
from services.common.db import Database
from services.common.entrypoint import rpc
from services.common.metrics import Metrics, did, event_outbox_probe
from services.common import event_outbox, health, supervision, sweep_runs
from services.common.rpc import ServiceRpc
from services.requests import (caisse_settings, catalogue, documentation, drafts, history, lifecycle, personal_data,
                               retention, scope, settings, statistics, summary, support, validation)
from services.requests.models import EventOutbox, SweepRun
from services.requests.scanning import Scanner, clamd_probe
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
    metrics = Metrics(event_outbox_probe(EventOutbox), clamd_probe)
    correlation = Correlation()       # each worker's correlation id in its logs (contracts/logs.py)

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

    # --- statistics and exports (issue 18, points 6 and 7) ------------------------------------
    @rpc
    def request_statistics(self, months=statistics.MONTHS_SHOWN):
        """By partner for a caisse agent, by caisse for the national administrator; names from accounts."""
        who = self.caller.require(AGENT_CAISSE, ADMIN_NATIONAL)
        return statistics.request_statistics(self.db, who, months, lambda ids: self._group_names(who))

    def _group_names(self, who) -> dict:
        """Caisse or partner names as accounts has them for this person; none when it does not answer."""
        try:
            if who["profile"] == ADMIN_NATIONAL:
                return {c["code"]: c["name"] for c in self.services.call("accounts", "list_caisses")}
            return {str(p["id"]): p["name"]
                    for p in self.services.call("accounts", "active_accounts_by_partner")["partners"]}
        except ServiceUnavailable:
            return {}

    @rpc
    def export_queue(self, filters=None):
        return statistics.export_queue(self.db, self.caller.require(AGENT_CAISSE), dict(filters or {}))

    @rpc
    def request_archive(self, request_id):
        return statistics.archive(self.db, self.caller.require(AGENT_CAISSE, ADMIN_NATIONAL), request_id)

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
        """Irreversible: the agent's session must hold a recent proof of identity, which accounts keeps
        (asked with the agent's own identity; ReauthenticationRequired otherwise, and fail closed)."""
        who = self.caller.require(AGENT_CAISSE)
        self.services.call("accounts", "require_recent_proof")
        return personal_data.erase(self.db, who, person, self.storage)

    # --- support reports (every signed-in profile; issue 15, point 3) ------------------------
    @rpc
    def support_form(self):
        return support.form(self.caller.require(*PROFILES))

    @rpc
    def file_support_report(self, data, screenshot=None):
        return support.file(self.db, self.caller.require(*PROFILES), data, screenshot, self.scanner, self.storage,
                            self._referents, self.events)

    def _referents(self, caisse_code):
        """The caisse's local referents with an address, as email recipients (accounts' public contacts)."""
        contacts = self.services.call("accounts", "caisse_contacts", caisse_code)
        return [{"email": r["email"], "first_name": r["name"], "last_name": ""}
                for r in contacts.get("referents") or [] if r.get("email")]

    @rpc
    def my_support_reports(self):
        return support.mine(self.db, self.caller.require(*PROFILES))

    @rpc
    def support_queue(self, status=None):
        return support.queue(self.db, self.caller.require(AGENT_CAISSE, ADMIN_NATIONAL), status)

    @rpc
    def support_report(self, report_id):
        who = self.caller.require(*PROFILES)
        return support.detail(self.db, who, support.find(self.db, who, report_id))

    @rpc
    def act_on_support_report(self, report_id, action, message=""):
        return support.act(self.db, self.caller.require(*PROFILES), report_id, action, message, self.events)

    @rpc
    def support_screenshot(self, report_id):
        return support.screenshot(self.db, self.caller.require(*PROFILES), report_id, self.storage)

    # --- the portal's documentation (issue 15, point 4) ------------------------------------
    @rpc
    def documents(self):
        return documentation.listing(self.db, self.caller.require(*PROFILES))

    @rpc
    def publish_document(self, data, file=None):
        return documentation.publish(self.db, self.caller.require(AGENT_CAISSE, ADMIN_NATIONAL), data, file,
                                     self.scanner, self.storage, self._caisse_codes, self.events)

    def _caisse_codes(self):
        return [c["code"] for c in self.services.call("accounts", "list_caisses")]

    @rpc
    def download_document(self, document_id):
        return documentation.download(self.db, self.caller.require(*PROFILES), document_id, self.storage)

    @timer(interval=3600)
    @sweep_runs.recorded(SweepRun, "purge_finished")
    def purge_finished(self):
        """Finished requests past the caisse's retention period (EP_REQUEST_RETENTION_DAYS; 0: kept), and
        the drafts of expired sessions nobody came back for (EP_DRAFT_HOURS)."""
        did(self.name, "purge_finished", retention.purge_finished(self.db, self.storage))
        did(self.name, "purge_expired_drafts", drafts.purge_expired(self.db))

    # Hourly by default; at most once a day per caisse whatever the interval or the instances.
    @timer(interval=settings.summary_check_seconds())
    @sweep_runs.recorded(SweepRun, "late_summary")
    def late_summary(self):
        """Hourly check, at most one email a day per caisse (claimed in the database)."""
        summary.hourly(self.db, self.services, self.events)

    # --- supervision ------------------------------------------------------------------------
    @rpc
    def supervision(self):
        """The supervision screen: events and sweeps (global), late requests of each caisse in the caller's reach."""
        who = self.caller.require(ADMIN_NATIONAL, AGENT_CAISSE)
        return {**supervision.report(self.db, self.name, SweepRun, summary.SWEEPS, EventOutbox),
                "caisses": summary.late_counts(self.db, supervision.caisse_scope(who))}
