"""The notifier's settings, from the environment, with their defaults. One place."""
import os
from datetime import timedelta


def _number(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def reminder_days() -> list[int]:
    """Days before password expiry when a reminder goes out (EP_REMINDER_DAYS, "15,7,1")."""
    raw = os.environ.get("EP_REMINDER_DAYS", "15,7,1")
    return sorted({int(d) for d in raw.replace(" ", "").split(",") if d}, reverse=True)


def maintenance_lead() -> timedelta:
    """How long before a maintenance its notice goes out (EP_MAINTENANCE_LEAD_HOURS, 48)."""
    return timedelta(hours=_number("EP_MAINTENANCE_LEAD_HOURS", 48))


def newsletter_every() -> timedelta:
    """Least time between two newsletters of a caisse (EP_NEWSLETTER_EVERY_DAYS, 7)."""
    return timedelta(days=_number("EP_NEWSLETTER_EVERY_DAYS", 7))


def sweep_interval_seconds() -> float:
    """How often reminders, maintenance notices and newsletters are looked for (EP_NOTIFIER_SWEEP_SECONDS)."""
    return _number("EP_NOTIFIER_SWEEP_SECONDS", 300)


def delivery_lease() -> timedelta:
    """How long a claimed email is reserved for the instance sending it (EP_OUTBOX_LEASE_SECONDS, 60);
    longer than SMTP_TIMEOUT, so a slow send is never taken over while it runs."""
    return timedelta(seconds=_number("EP_OUTBOX_LEASE_SECONDS", 60))


def smtp_timeout() -> float:
    return _number("SMTP_TIMEOUT", 20)


PAGE_SIZE = 500              # accounts asked per RPC call when streaming users
MAX_ATTEMPTS = 8             # temporary SMTP failures before an email is marked failed


def delivery_log_retention() -> timedelta:
    """How long a sent or failed email stays in the delivery log (EP_DELIVERY_LOG_DAYS, 365): it names
    the person it went to. Longer than any idempotency horizon (an event redelivered, a reminder)."""
    return timedelta(days=_number("EP_DELIVERY_LOG_DAYS", 365))
