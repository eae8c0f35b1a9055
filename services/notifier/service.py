"""The notifier service: events in, outbox rows written, SMTP delivery on a timer; renewal
reminders, maintenance notices and newsletters on a sweep timer; the RPC API of the delivery
log, maintenance windows, news and newsletter subscriptions (see README, "Notifier")."""
import logging
import time

from nameko.events import event_handler
from nameko.timer import timer

from contracts import events
from contracts.errors import ServiceUnavailable
from contracts.profiles import AGENT_CAISSE, AGENTS, PARTNER_USERS
from services.common.caller import Caller
from services.common.correlation import Correlation
from services.common.config import database_url, rpc_secret
from services.common.db import Database
from services.common import health   # the module: `nameko run` would take the mixin for a service
from services.common import supervision, sweep_runs
from services.common.entrypoint import rpc
from services.common.metrics import Metrics, did, outbox_probe
from services.common.rpc import ServiceRpc
from services.notifier import delivery_log, maintenance, news, outbox, reminders, settings
from services.notifier.event_emails import SOURCES, enqueue_event
from services.notifier.reminders import SWEEPS
from services.notifier.mailer import Mailer
from services.notifier.models import OutboxMessage, SweepRun

log = logging.getLogger(__name__)
DELIVERY_ROUND_SECONDS = 5
# How long a queued email may wait in an idle outbox: polling it is one indexed SELECT.
DELIVERY_POLL_SECONDS = 0.25


class NotifierService(health.Health):
    name = events.NOTIFIER

    db = Database("notifier", lambda: database_url("notifier"))
    mailer = Mailer()
    caller = Caller(rpc_secret)
    services = ServiceRpc(timeout=10)
    # The emails waiting to be sent (queued; a failed one waits for an agent's « renvoyer »).
    metrics = Metrics(outbox_probe("emails", OutboxMessage, outbox.delivery_lease_seconds,
                                   OutboxMessage.status == "queued"))
    correlation = Correlation()       # each worker's correlation id in its logs (contracts/logs.py)

    # --- other services' events: one on_<type> handler each, set after the class (event_emails.SOURCES)

    @event_handler(events.REQUESTS, events.DOCUMENT_PUBLISHED)
    def on_document_published(self, payload):
        """A new document or version on « Documentation »: a news item of each caisse concerned."""
        news.announce_document(self.db, payload)

    # --- timers ---------------------------------------------------------------------------
    @timer(interval=DELIVERY_POLL_SECONDS)
    def deliver(self):
        # A backlog goes batch after batch rather than one batch per tick, over one SMTP session
        # (opened at the first email), for a bounded time (a batch stops at the deadline too, after
        # the email on the wire) so that stopping the service never waits long.
        deadline = time.monotonic() + DELIVERY_ROUND_SECONDS
        with self.mailer.session() as smtp:
            while outbox.deliver_due(self.db, smtp, until=deadline) and time.monotonic() < deadline:
                pass

    def _accounts(self, method):
        return lambda *args: self.services.call_as_service("accounts", method, *args)

    @timer(interval=settings.sweep_interval_seconds())
    @sweep_runs.recorded(SweepRun, "sweep")
    def sweep(self):
        """Each step is idempotent (keys, leases) and safe with two instances; accounts not
        answering only delays it to the next round."""
        users_of = self._accounts("active_users")
        steps = (("reminders", lambda: reminders.sweep(self.db, self._accounts("password_expiries"))),
                 ("maintenance_notices", lambda: maintenance.send_notices(self.db, users_of)),
                 ("newsletters", lambda: news.send_digests(
                     self.db, lambda code, after_id: users_of(code, after_id, 500, "actualites"), self.caller.secret)),
                 ("delivery_log_purge", lambda: delivery_log.purge(self.db)))
        for name, step in steps:
            try:
                did(self.name, name, step())
            except ServiceUnavailable as exc:
                self.db.rollback()
                log.warning("sweep step postponed, accounts unavailable: %s", exc.reason)

    # --- delivery log (caisse agents: their caisse's users; national admin: everyone) -------
    @rpc
    def delivery_log(self, filters=None, cursor=None, limit=50):
        return delivery_log.entries(self.db, self.caller.require(*AGENTS), dict(filters or {}), cursor, limit)

    @rpc
    def resend(self, message_id):
        return delivery_log.resend(self.db, self.caller.require(*AGENTS), message_id)

    # --- maintenance ------------------------------------------------------------------------
    @rpc
    def schedule_maintenance(self, data):
        return maintenance.schedule(self.db, self.caller.require(*AGENTS), dict(data or {}))

    @rpc
    def update_maintenance(self, maintenance_id, data):
        return maintenance.update(self.db, self.caller.require(*AGENTS), maintenance_id, dict(data or {}))

    @rpc
    def cancel_maintenance(self, maintenance_id):
        return maintenance.cancel(self.db, self.caller.require(*AGENTS), maintenance_id)

    @rpc
    def list_maintenances(self, include_past=False):
        return maintenance.listing(self.db, self.caller.require(*AGENTS), bool(include_past))

    @rpc
    def current_maintenance(self, caisse_code=None):
        """Anyone, even anonymous (the login page shows the banner)."""
        return maintenance.current(self.db, caisse_code)

    # --- news and newsletter ----------------------------------------------------------------
    @rpc
    def publish_news(self, data):
        return news.publish(self.db, self.caller.require(AGENT_CAISSE), dict(data or {}))

    @rpc
    def list_news(self, caisse_code=None, cursor=None, limit=20):
        return news.listing(self.db, self.caller.require(*AGENTS, *PARTNER_USERS), caisse_code, cursor, limit)

    @rpc
    def my_newsletter_subscriptions(self):
        return news.subscriptions(self.db, self.caller.require(*PARTNER_USERS))

    @rpc
    def set_newsletter_subscription(self, caisse_code, subscribed):
        return news.set_subscription(self.db, self.caller.require(*PARTNER_USERS), caisse_code, bool(subscribed),
                                     self.caller.secret)

    @rpc
    def unsubscribe_by_token(self, token):
        """Anyone, even anonymous: the one-click link of the newsletter emails."""
        return news.unsubscribe_by_token(self.db, token)

    # --- supervision ------------------------------------------------------------------------
    @rpc
    def supervision(self):
        """The supervision screen: sweeps (global), emails waiting or failed for each caisse in the caller's reach
        (and, for the national admin, for everyone: emails to nobody's caisse count there only)."""
        scope = supervision.caisse_scope(self.caller.require(*AGENTS))
        return {**supervision.report(self.db, self.name, SweepRun, SWEEPS),
                **outbox.backlog(self.db, scope)}


def _handler(event_type: str):
    def handle(self, payload):
        enqueue_event(self.db, event_type, payload)
    handle.__name__ = handle.__qualname__ = f"on_{event_type}"
    handle.__doc__ = f"Every email of a {event_type} event, queued in one transaction."
    return handle


# Other services' events, one handler each: its name is part of its queue's
# (evt-<source>-<type>--notifier.on_<type>), so it stays the same release after release.
for _event_type, _source in SOURCES.items():
    setattr(NotifierService, f"on_{_event_type}", event_handler(_source, _event_type)(_handler(_event_type)))
