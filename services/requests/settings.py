"""The requests service's settings, from the environment, with their defaults. One place:
no other module of the service reads the environment. Each value is read when asked, so a
container or a test may set its variable just before."""
from pathlib import Path

from services.common import config
from services.common.config import env_int, env_number, env_text


def database_url() -> str:
    """REQUESTS_DATABASE_URL, else a SQLite file under EP_DATA_DIR."""
    return config.database_url("requests")


def attachment_max_bytes() -> int:
    """Size limit per attached file, in bytes (EP_ATTACHMENT_MAX_BYTES, 10 Mio)."""
    return env_int("EP_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)


def attachments_per_request() -> int:
    """Files one side (the partner, the caisse) may attach to one request (EP_ATTACHMENTS_PER_REQUEST, 10)."""
    return env_int("EP_ATTACHMENTS_PER_REQUEST", 10)


def attachment_bytes_per_request() -> int:
    """Their total size, in bytes (EP_ATTACHMENT_BYTES_PER_REQUEST, 30 Mio)."""
    return env_int("EP_ATTACHMENT_BYTES_PER_REQUEST", 30 * 1024 * 1024)


def attachments_per_day() -> int:
    """Files one person may attach in a day (UTC), all requests together (EP_ATTACHMENTS_PER_DAY, 50)."""
    return env_int("EP_ATTACHMENTS_PER_DAY", 50)


def attachment_bytes_per_day() -> int:
    """Their total size, in bytes (EP_ATTACHMENT_BYTES_PER_DAY, 200 Mio)."""
    return env_int("EP_ATTACHMENT_BYTES_PER_DAY", 200 * 1024 * 1024)


def support_reports_per_minute() -> int:
    """Support reports one person may file in a rolling minute (EP_SUPPORT_REPORTS_PER_MINUTE, 3): each one
    emails the caisse's local referents, so a loop must not turn the portal into a mail bomb."""
    return env_int("EP_SUPPORT_REPORTS_PER_MINUTE", 3)


def support_reports_per_hour() -> int:
    """And in a rolling hour (EP_SUPPORT_REPORTS_PER_HOUR, 10)."""
    return env_int("EP_SUPPORT_REPORTS_PER_HOUR", 10)


def attachments_dir() -> Path:
    """Where the local store keeps the files (EP_ATTACHMENTS_DIR, default <EP_DATA_DIR>/attachments)."""
    root = env_text("EP_ATTACHMENTS_DIR")
    return Path(root) if root else config.data_dir() / "attachments"


def clamd_socket() -> str:
    """clamd's Unix socket (EP_CLAMD_SOCKET), preferred to its TCP address."""
    return env_text("EP_CLAMD_SOCKET")


def clamd_host() -> str:
    return env_text("EP_CLAMD_HOST")


def clamd_port() -> int:
    return env_int("EP_CLAMD_PORT", 3310)


def clamd_timeout() -> float:
    """Seconds per scan (EP_CLAMD_TIMEOUT, 30)."""
    return env_number("EP_CLAMD_TIMEOUT", 30)


def retention_days() -> int:
    """Days a finished request is kept after its last change (EP_REQUEST_RETENTION_DAYS; 0: kept)."""
    return env_int("EP_REQUEST_RETENTION_DAYS", 0)


def draft_hours() -> int:
    """Hours a form's typed input kept at a session's expiry waits to be reloaded (EP_DRAFT_HOURS, 24)."""
    return env_int("EP_DRAFT_HOURS", 24)


def summary_check_seconds() -> int:
    """How often late requests are looked for (EP_SUMMARY_CHECK_SECONDS, hourly)."""
    return env_int("EP_SUMMARY_CHECK_SECONDS", 3600)


def image_min_pixels() -> tuple[int, int]:
    """Smallest width and height of an attached image, in pixels (EP_ATTACHMENT_MIN_PIXELS, "200x200"):
    below it a scan or a photo cannot be read."""
    raw = env_text("EP_ATTACHMENT_MIN_PIXELS") or "200x200"
    width, _, height = raw.lower().partition("x")
    return int(width), int(height or width)
