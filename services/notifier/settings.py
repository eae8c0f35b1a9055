"""The notifier's settings, from the environment, with their defaults. One place: no other
module of the notifier reads the environment."""
from datetime import timedelta

from services.common.config import env_number, env_text


def base_url() -> str:
    """The web front's address, for the links of the emails (EP_BASE_URL), read at render time."""
    return env_text("EP_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def smtp() -> dict:
    """The SMTP server (services.notifier.mailer.SmtpMailer's arguments): SMTP_HOST, SMTP_PORT,
    SMTP_TLS (none | starttls | ssl), SMTP_USER, SMTP_PASSWORD, MAIL_FROM, SMTP_TIMEOUT (seconds, 20)."""
    return {"host": env_text("SMTP_HOST", "127.0.0.1"), "port": env_text("SMTP_PORT", "1025"),
            "tls": env_text("SMTP_TLS", "none"), "user": env_text("SMTP_USER") or None,
            "password": env_text("SMTP_PASSWORD") or None, "sender": env_text("MAIL_FROM") or None,
            "timeout": smtp_timeout()}


def reminder_days() -> list[int]:
    """Days before password expiry when a reminder goes out (EP_REMINDER_DAYS, "15,7,1")."""
    raw = env_text("EP_REMINDER_DAYS", "15,7,1")
    return sorted({int(d) for d in raw.replace(" ", "").split(",") if d}, reverse=True)


def maintenance_lead() -> timedelta:
    """How long before a maintenance its notice goes out (EP_MAINTENANCE_LEAD_HOURS, 48)."""
    return timedelta(hours=env_number("EP_MAINTENANCE_LEAD_HOURS", 48))


def newsletter_every() -> timedelta:
    """Least time between two newsletters of a caisse (EP_NEWSLETTER_EVERY_DAYS, 7)."""
    return timedelta(days=env_number("EP_NEWSLETTER_EVERY_DAYS", 7))


def sweep_interval_seconds() -> float:
    """How often reminders, maintenance notices and newsletters are looked for (EP_NOTIFIER_SWEEP_SECONDS)."""
    return env_number("EP_NOTIFIER_SWEEP_SECONDS", 300)


def delivery_lease() -> timedelta:
    """How long a claimed email is reserved for the instance sending it (EP_OUTBOX_LEASE_SECONDS, 60);
    longer than SMTP_TIMEOUT, so a slow send is never taken over while it runs."""
    return timedelta(seconds=env_number("EP_OUTBOX_LEASE_SECONDS", 60))


def smtp_timeout() -> float:
    return env_number("SMTP_TIMEOUT", 20)


PAGE_SIZE = 500              # accounts asked per RPC call when streaming users
MAX_ATTEMPTS = 8             # temporary SMTP failures before an email is marked failed


def delivery_log_retention() -> timedelta:
    """How long a sent or failed email stays in the delivery log (EP_DELIVERY_LOG_DAYS, 365): it names
    the person it went to. Longer than any idempotency horizon (an event redelivered, a reminder)."""
    return timedelta(days=env_number("EP_DELIVERY_LOG_DAYS", 365))
