"""Web configuration from the environment."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def from_env() -> dict:
    secret_key = os.environ.get("EP_SECRET_KEY", "")
    if len(secret_key) < 32:
        raise RuntimeError("EP_SECRET_KEY doit être défini (32 caractères au moins).")
    base_url = os.environ.get("EP_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return {
        "SECRET_KEY": secret_key,
        "EP_RPC_SECRET": os.environ.get("EP_RPC_SECRET", ""),
        "AMQP_URI": os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"),
        "EP_RPC_TIMEOUT": float(os.environ.get("EP_RPC_TIMEOUT", "5")),
        "EP_BASE_URL": base_url,
        "EP_VENDOR_DIR": Path(os.environ.get("EP_VENDOR_DIR", REPO_ROOT / "node_modules")),
        # Dev only: where the local mail catcher shows captured emails.
        "EP_MAILCATCHER_URL": os.environ.get("EP_MAILCATCHER_URL", ""),
        # How long a web worker reuses the notifier's answer on maintenance windows.
        "EP_MAINTENANCE_CACHE_SECONDS": float(os.environ.get("EP_MAINTENANCE_CACHE_SECONDS", "10")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        "WTF_CSRF_TIME_LIMIT": None,
        # One submission's files together (the requests service limits each file too).
        "MAX_CONTENT_LENGTH": int(os.environ.get("EP_UPLOAD_MAX_BYTES", 25 * 1024 * 1024)),       # tied to the session instead of a clock
    }
