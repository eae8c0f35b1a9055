"""Password renewal reminders: at the configured days before expiry (EP_REMINDER_DAYS) and
at expiry. The key names the account, the moment its password was set and the threshold,
so each reminder goes once per account and password — across restarts and instances —
and a new password starts its own reminders. The accounts service only tells at login
that a password has expired (no email): these are the only expiry emails."""
import math
from datetime import datetime

from sqlalchemy.orm import Session

from contracts import dates
from services.notifier import fanout, outbox, rendering, settings
from services.notifier.models import utcnow

# The notifier's sweep (this module's reminders, then maintenance notices, newsletters, the delivery log's
# purge), whose last run the supervision screen shows (services.common.sweep_runs).
SWEEPS = {"sweep": "Rappels de mot de passe, annonces de maintenance, lettres d'information, purge du journal"}


def _utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=None)


def due(person: dict, thresholds: list[int], now: datetime) -> tuple[str, str] | None:
    """(key, kind) of the reminder due now, if any: the nearest threshold passed (a notifier
    that was down does not send the skipped ones), or the expiry notice."""
    expires_at = _utc(person["expires_at"])
    stem = f"{person['account_id']}:{person['password_changed_at']}"
    if now >= expires_at:
        return f"password_expired:{stem}", "password_expired"
    passed = [days for days in thresholds if (expires_at - now).total_seconds() <= days * 86400]
    if passed:
        return f"password_reminder:{stem}:{min(passed)}", "password_renewal_reminder"
    return None


def _mail(key: str, kind: str, person: dict, now: datetime) -> outbox.Mail:
    expires_at = _utc(person["expires_at"])
    days_left = max(1, math.ceil((expires_at - now).total_seconds() / 86400))
    if kind == "password_expired":
        return rendering.mail(kind, key, person, link=rendering.link("/connexion"))
    return rendering.mail(kind, key, person, days_left=days_left, link=rendering.link("/mon-compte/mot-de-passe"),
                          expires_at=dates.datetime_fr_at(person["expires_at"]))


def sweep(session: Session, fetch_page, now: datetime | None = None) -> int:
    """``fetch_page(after_id)``: accounts' ``password_expiries``. Returns how many were queued."""
    now = now or utcnow()
    thresholds = settings.reminder_days()

    def plan(people):
        return [(key, lambda key=key, kind=kind, person=person: _mail(key, kind, person, now))
                for person in people if (found := due(person, thresholds, now)) for key, kind in [found]]

    return fanout.queue_for_people(session, fetch_page, plan)
