"""The notifier service: events in, outbox rows written, SMTP delivery on a timer."""
from urllib.parse import quote

import sqlalchemy as sa
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.timer import timer

from contracts import events
from services.common.config import database_url
from services.common.db import Database
from services.notifier import outbox, rendering
from services.notifier.mailer import Mailer


def _link(path: str) -> str:
    """An absolute link into the web front (read at render time: EP_BASE_URL)."""
    return f"{rendering.base_url()}{path}"


# Account email events (contracts.events envelope: event_id + recipients, plus these fields):
# event type -> (template kind, context built from the payload, shared by every recipient).
EMAILS = {
    events.PASSWORD_RESET_REQUESTED: ("password_reset", lambda p: {
        "link": _link(f"/mot-de-passe/nouveau/{quote(p['token'], safe='')}"),
        "expires_at": rendering.french_datetime(p["expires_at"])}),
    events.ACCOUNT_INVITED: ("account_invited", lambda p: {
        "link": _link(f"/activation/{quote(p['token'], safe='')}"),
        "expires_at": rendering.french_datetime_long(p["expires_at"]),
        "profile_label": p["profile_label"], "organisation": p["organisation"]}),
    events.PASSWORD_CHANGED: ("password_changed", lambda p: {
        "changed_at": rendering.french_datetime(p["changed_at"]), "forgot_link": _link("/mot-de-passe/oublie")}),
    events.ACCOUNT_INACTIVATED: ("account_inactivated", lambda p: {"reason_label": p["reason_label"]}),
    events.FRAUD_INACTIVATION: ("fraud_inactivation", lambda p: {
        "account_name": p["account_name"], "reason_label": p["reason_label"], "partner_name": p["partner_name"]}),
    events.INACTIVITY_WARNING: ("inactivity_warning", lambda p: {
        "inactivation_date": rendering.french_date(p["inactivation_date"]), "link": _link("/connexion")}),
    events.REVIEW_REQUESTED: ("review_requested", lambda p: {
        "partner_name": p["partner_name"], "caisse_name": p["caisse_name"], "reminder": bool(p["reminder"]),
        "link": _link("/habilitations")}),
    # From the requests service (same envelope); no data about the insured person, only the reference.
    events.REQUEST_STATUS_CHANGED: ("request_status_changed", lambda p: {
        "reference": p["reference"], "kind_label": p["kind_label"], "status_label": p["status_label"],
        "new_message": bool(p.get("new_message")), "link": _link(f"/demandes/{int(p['request_id'])}")}),
    events.LATE_REQUESTS_SUMMARY: ("late_requests_summary", lambda p: {
        "caisse_name": p["caisse_name"], "count": int(p["count"]), "late_after_days": int(p["late_after_days"]),
        "references": [str(r) for r in p["references"]][:10], "link": _link("/file?late=1")}),
}


def render_for_recipients(event_type: str, payload: dict) -> list[tuple[str, str, str, str, str]]:
    """[(idempotency key, recipient email, subject, text, html)], one per recipient.
    The key is per event *type* too: accounts may give two events the same event_id."""
    kind, build_context = EMAILS[event_type]
    context = build_context(payload)
    emails = []
    for recipient in payload["recipients"]:
        email = recipient["email"]
        subject, text, html = rendering.render(kind, first_name=recipient["first_name"],
                                               last_name=recipient["last_name"], **context)
        emails.append((f"{event_type}:{payload['event_id']}:{email.lower()}", email, subject, text, html))
    return emails


class NotifierService:
    name = events.NOTIFIER

    db = Database("notifier", lambda: database_url("notifier"))
    mailer = Mailer()

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok", "database": self.db.bind.dialect.name}

    @event_handler(events.ACCOUNTS, events.PASSWORD_RESET_REQUESTED)
    def on_password_reset_requested(self, payload):
        self._enqueue_for_recipients(events.PASSWORD_RESET_REQUESTED, payload)

    @event_handler(events.ACCOUNTS, events.ACCOUNT_INVITED)
    def on_account_invited(self, payload):
        self._enqueue_for_recipients(events.ACCOUNT_INVITED, payload)

    @event_handler(events.ACCOUNTS, events.PASSWORD_CHANGED)
    def on_password_changed(self, payload):
        self._enqueue_for_recipients(events.PASSWORD_CHANGED, payload)

    @event_handler(events.ACCOUNTS, events.ACCOUNT_INACTIVATED)
    def on_account_inactivated(self, payload):
        self._enqueue_for_recipients(events.ACCOUNT_INACTIVATED, payload)

    @event_handler(events.ACCOUNTS, events.FRAUD_INACTIVATION)
    def on_fraud_inactivation(self, payload):
        self._enqueue_for_recipients(events.FRAUD_INACTIVATION, payload)

    @event_handler(events.ACCOUNTS, events.INACTIVITY_WARNING)
    def on_inactivity_warning(self, payload):
        self._enqueue_for_recipients(events.INACTIVITY_WARNING, payload)

    @event_handler(events.ACCOUNTS, events.REVIEW_REQUESTED)
    def on_review_requested(self, payload):
        self._enqueue_for_recipients(events.REVIEW_REQUESTED, payload)

    @event_handler(events.REQUESTS, events.REQUEST_STATUS_CHANGED)
    def on_request_status_changed(self, payload):
        self._enqueue_for_recipients(events.REQUEST_STATUS_CHANGED, payload)

    @event_handler(events.REQUESTS, events.LATE_REQUESTS_SUMMARY)
    def on_late_requests_summary(self, payload):
        self._enqueue_for_recipients(events.LATE_REQUESTS_SUMMARY, payload)

    def _enqueue_for_recipients(self, event_type: str, payload: dict) -> None:
        # Everything is rendered before anything is queued: a malformed payload queues nothing.
        kind = EMAILS[event_type][0]
        for key, email, subject, text, html in render_for_recipients(event_type, payload):
            outbox.enqueue(self.db, key, kind, email, subject, text, html)

    @timer(interval=1)
    def deliver(self):
        outbox.deliver_due(self.db, self.mailer)
