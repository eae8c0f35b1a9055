"""The notifier service: events in, outbox rows written, SMTP delivery on a timer; renewal
reminders, maintenance notices and newsletters on a sweep timer; the RPC API of the delivery
log, maintenance windows, news and newsletter subscriptions (see README, "Notifier")."""
import logging
import time

import sqlalchemy as sa
from nameko.events import event_handler
from nameko.timer import timer

from contracts import events
from contracts.errors import EXPECTED, ServiceUnavailable
from services.common.caller import Caller
from services.common.config import database_url, instance_id, rpc_secret
from services.common.db import Database
from services.common.entrypoint import rpc
from services.common.rpc import ServiceRpc
from services.notifier import delivery_log, maintenance, news, outbox, reminders, settings
from services.notifier.event_emails import EMAILS, enqueue_event, render_for_recipients  # noqa: F401 (API)
from services.notifier.mailer import Mailer

log = logging.getLogger(__name__)
AGENTS = ("agent_caisse", "admin_national")
PARTNER_USERS = ("gestionnaire", "technicien")
DELIVERY_ROUND_SECONDS = 5


class NotifierService:
    name = events.NOTIFIER

    db = Database("notifier", lambda: database_url("notifier"))
    mailer = Mailer()
    caller = Caller(rpc_secret)
    services = ServiceRpc(timeout=10)

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok", "database": self.db.bind.dialect.name,
                "instance": instance_id()}

    # --- other services' events: every email of one event queued in one transaction ----------
    @event_handler(events.ACCOUNTS, events.PASSWORD_RESET_REQUESTED)
    def on_password_reset_requested(self, payload):
        enqueue_event(self.db, events.PASSWORD_RESET_REQUESTED, payload)

    @event_handler(events.ACCOUNTS, events.ACCOUNT_INVITED)
    def on_account_invited(self, payload):
        enqueue_event(self.db, events.ACCOUNT_INVITED, payload)

    @event_handler(events.ACCOUNTS, events.PASSWORD_CHANGED)
    def on_password_changed(self, payload):
        enqueue_event(self.db, events.PASSWORD_CHANGED, payload)

    @event_handler(events.ACCOUNTS, events.SECOND_FACTOR_CHANGED)
    def on_second_factor_changed(self, payload):
        enqueue_event(self.db, events.SECOND_FACTOR_CHANGED, payload)

    @event_handler(events.ACCOUNTS, events.ACCOUNT_INACTIVATED)
    def on_account_inactivated(self, payload):
        enqueue_event(self.db, events.ACCOUNT_INACTIVATED, payload)

    @event_handler(events.ACCOUNTS, events.FRAUD_INACTIVATION)
    def on_fraud_inactivation(self, payload):
        enqueue_event(self.db, events.FRAUD_INACTIVATION, payload)

    @event_handler(events.ACCOUNTS, events.INACTIVITY_WARNING)
    def on_inactivity_warning(self, payload):
        enqueue_event(self.db, events.INACTIVITY_WARNING, payload)

    @event_handler(events.ACCOUNTS, events.REVIEW_REQUESTED)
    def on_review_requested(self, payload):
        enqueue_event(self.db, events.REVIEW_REQUESTED, payload)

    @event_handler(events.REQUESTS, events.REQUEST_STATUS_CHANGED)
    def on_request_status_changed(self, payload):
        enqueue_event(self.db, events.REQUEST_STATUS_CHANGED, payload)

    @event_handler(events.REQUESTS, events.LATE_REQUESTS_SUMMARY)
    def on_late_requests_summary(self, payload):
        enqueue_event(self.db, events.LATE_REQUESTS_SUMMARY, payload)

    # --- timers ---------------------------------------------------------------------------
    @timer(interval=1)
    def deliver(self):
        # A backlog goes batch after batch rather than one batch a second, for a bounded
        # time so that stopping the service never waits long.
        deadline = time.monotonic() + DELIVERY_ROUND_SECONDS
        while outbox.deliver_due(self.db, self.mailer) and time.monotonic() < deadline:
            pass

    def _accounts(self, method):
        return lambda *args: self.services.call_as_service("accounts", method, *args)

    @timer(interval=settings.sweep_interval_seconds())
    def sweep(self):
        """Each step is idempotent (keys, leases) and safe with two instances; accounts not
        answering only delays it to the next round."""
        users_of = self._accounts("active_users")
        steps = (lambda: reminders.sweep(self.db, self._accounts("password_expiries")),
                 lambda: maintenance.send_notices(self.db, users_of),
                 lambda: news.send_digests(self.db, users_of, self.caller.secret),
                 lambda: delivery_log.purge(self.db))
        for step in steps:
            try:
                step()
            except ServiceUnavailable as exc:
                self.db.rollback()
                log.warning("sweep step postponed, accounts unavailable: %s", exc.reason)

    # --- delivery log (caisse agents: their caisse's users; national admin: everyone) -------
    @rpc(expected_exceptions=EXPECTED)
    def delivery_log(self, filters=None, cursor=None, limit=50):
        return delivery_log.entries(self.db, self.caller.require(*AGENTS), dict(filters or {}), cursor, limit)

    @rpc(expected_exceptions=EXPECTED)
    def resend(self, message_id):
        return delivery_log.resend(self.db, self.caller.require(*AGENTS), message_id)

    # --- maintenance ------------------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def schedule_maintenance(self, data):
        return maintenance.schedule(self.db, self.caller.require(*AGENTS), dict(data or {}))

    @rpc(expected_exceptions=EXPECTED)
    def update_maintenance(self, maintenance_id, data):
        return maintenance.update(self.db, self.caller.require(*AGENTS), maintenance_id, dict(data or {}))

    @rpc(expected_exceptions=EXPECTED)
    def cancel_maintenance(self, maintenance_id):
        return maintenance.cancel(self.db, self.caller.require(*AGENTS), maintenance_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_maintenances(self, include_past=False):
        return maintenance.listing(self.db, self.caller.require(*AGENTS), bool(include_past))

    @rpc(expected_exceptions=EXPECTED)
    def current_maintenance(self, caisse_code=None):
        """Anyone, even anonymous (the login page shows the banner)."""
        return maintenance.current(self.db, caisse_code)

    # --- news and newsletter ----------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def publish_news(self, data):
        return news.publish(self.db, self.caller.require("agent_caisse"), dict(data or {}))

    @rpc(expected_exceptions=EXPECTED)
    def list_news(self, caisse_code=None, cursor=None, limit=20):
        return news.listing(self.db, self.caller.require(*AGENTS, *PARTNER_USERS), caisse_code, cursor, limit)

    @rpc(expected_exceptions=EXPECTED)
    def my_newsletter_subscriptions(self):
        return news.subscriptions(self.db, self.caller.require(*PARTNER_USERS))

    @rpc(expected_exceptions=EXPECTED)
    def set_newsletter_subscription(self, caisse_code, subscribed):
        return news.set_subscription(self.db, self.caller.require(*PARTNER_USERS), caisse_code, bool(subscribed),
                                     self.caller.secret)

    @rpc(expected_exceptions=EXPECTED)
    def unsubscribe_by_token(self, token):
        """Anyone, even anonymous: the one-click link of the newsletter emails."""
        return news.unsubscribe_by_token(self.db, token)
