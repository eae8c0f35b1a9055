"""The notifier service: events in, outbox rows written, SMTP delivery on a timer."""
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.timer import timer

from contracts import events
from services.common.config import database_url
from services.common.db import Database
from services.notifier import outbox, rendering
from services.notifier.mailer import Mailer


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
        subject, text, html = rendering.render(
            "password_reset",
            first_name=payload["first_name"],
            last_name=payload["last_name"],
            link=f"{rendering.base_url()}/mot-de-passe/nouveau/{payload['token']}",
            expires_at=rendering.french_datetime(payload["expires_at"]),
        )
        outbox.enqueue(self.db, f"{events.PASSWORD_RESET_REQUESTED}:{payload['event_id']}",
                       "password_reset", payload["email"], subject, text, html)

    @timer(interval=1)
    def deliver(self):
        outbox.deliver_due(self.db, self.mailer)
