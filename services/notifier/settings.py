"""The notifier's settings, from the environment, with their defaults. One place: no other
module of the notifier reads the environment."""
from services.common.config import env_duration, env_number, env_text


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


maintenance_lead = env_duration("EP_MAINTENANCE_LEAD_HOURS", 48)     # how long before a maintenance its notice goes out
newsletter_every = env_duration("EP_NEWSLETTER_EVERY_DAYS", 7)       # least time between two newsletters of a caisse


def sweep_interval_seconds() -> float:
    """How often reminders, maintenance notices and newsletters are looked for (EP_NOTIFIER_SWEEP_SECONDS)."""
    return env_number("EP_NOTIFIER_SWEEP_SECONDS", 300)


# How long a claimed email is reserved for the instance sending it: longer than SMTP_TIMEOUT,
# so a slow send is never taken over while it runs.
delivery_lease = env_duration("EP_OUTBOX_LEASE_SECONDS", 60)


def smtp_timeout() -> float:
    return env_number("SMTP_TIMEOUT", 20)


PAGE_SIZE = 500              # accounts asked per RPC call when streaming users
MAX_ATTEMPTS = 8             # temporary SMTP failures before an email is marked failed


# How long a sent or failed email stays in the delivery log: it names the person it went to.
# Longer than any idempotency horizon (an event redelivered, a reminder).
delivery_log_retention = env_duration("EP_DELIVERY_LOG_DAYS", 365)
