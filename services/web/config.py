"""Web configuration from the environment."""
import os
from pathlib import Path

from contracts import production
from contracts.broker import amqp_uri

REPO_ROOT = Path(__file__).resolve().parents[2]


def cookie_name(https: bool) -> str:
    """``__Host-`` binds the cookie to this exact host, path / and Secure; browsers
    reject such a cookie without Secure, so plain-http development uses the bare name."""
    return "__Host-ep_session" if https else "ep_session"


def check_production(secret_key: str, base_url: str) -> None:
    """EP_ENV=production: real secrets, an https address (TLS may end at a proxy, see
    EP_TRUSTED_PROXIES), a named broker account."""
    rpc_secret = os.environ.get("EP_RPC_SECRET", "")
    production.refuse_unless_ready([
        production.secret_problem("EP_SECRET_KEY", secret_key),
        production.secret_problem("EP_RPC_SECRET", rpc_secret),
        "EP_SECRET_KEY et EP_RPC_SECRET doivent être différents." if secret_key == rpc_secret else None,
        None if base_url.startswith("https://") else "EP_BASE_URL doit commencer par https:// (TLS obligatoire).",
        production.broker_problem(os.environ.get("AMQP_URI", "")),
    ], "web")


def from_env() -> dict:
    secret_key = os.environ.get("EP_SECRET_KEY", "")
    if len(secret_key) < 32:
        raise RuntimeError("EP_SECRET_KEY doit être défini (32 caractères au moins).")
    base_url = os.environ.get("EP_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    check_production(secret_key, base_url)
    https = base_url.startswith("https://")
    return {
        "SECRET_KEY": secret_key,
        "EP_RPC_SECRET": os.environ.get("EP_RPC_SECRET", ""),
        "AMQP_URI": amqp_uri(),
        "EP_RPC_TIMEOUT": float(os.environ.get("EP_RPC_TIMEOUT", "5")),
        # Calls that carry files (scanned by clamd before they are kept) may take this long.
        "EP_UPLOAD_TIMEOUT": float(os.environ.get("EP_UPLOAD_TIMEOUT", "30")),
        "EP_BASE_URL": base_url,
        "EP_VENDOR_DIR": Path(os.environ.get("EP_VENDOR_DIR", REPO_ROOT / "node_modules")),
        # Dev only: where the local mail catcher shows captured emails.
        "EP_MAILCATCHER_URL": os.environ.get("EP_MAILCATCHER_URL", ""),
        # How long a web worker reuses the notifier's answer on maintenance windows.
        "EP_MAINTENANCE_CACHE_SECONDS": float(os.environ.get("EP_MAINTENANCE_CACHE_SECONDS", "10")),
        # How long a page read may reuse this process's check of the same session (session_cache.py); 0: never.
        "EP_SESSION_RECHECK_SECONDS": float(os.environ.get("EP_SESSION_RECHECK_SECONDS", "5")),
        "EP_HTTPS": https,
        # Reverse proxies in front of the web (X-Forwarded-For/Proto/Host trusted from this many hops).
        "EP_TRUSTED_PROXIES": int(os.environ.get("EP_TRUSTED_PROXIES", "0")),
        # What anyone may post without signing in (services/web/rate_limits.py): where the counts live
        # (memory:// counts per web process; redis://… shares them between processes and hosts).
        "EP_RATE_LIMIT_STORAGE": os.environ.get("EP_RATE_LIMIT_STORAGE", "memory://"),
        "EP_RATE_LIMIT_PER_ADDRESS": os.environ.get("EP_RATE_LIMIT_PER_ADDRESS", "30/minute"),
        "EP_RATE_LIMIT_OVERALL": os.environ.get("EP_RATE_LIMIT_OVERALL", "10/second"),
        # The cookie holds the server-side session's token, the CSRF token and flashes: nothing authoritative.
        "SESSION_COOKIE_NAME": cookie_name(https),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "WTF_CSRF_TIME_LIMIT": None,     # tied to the session instead of a clock
        # « Mentions légales » (services/web/views/legal.py): who publishes and hosts this deployment; a
        # function, never a person's name, for the director of publication.
        "EP_PUBLISHER": os.environ.get("EP_PUBLISHER", "L'organisme d'assurance maladie qui déploie ce portail "
                                                        "(à renseigner : EP_PUBLISHER)"),
        "EP_PUBLICATION_DIRECTOR": os.environ.get("EP_PUBLICATION_DIRECTOR",
                                                  "Le directeur ou la directrice de l'organisme éditeur"),
        "EP_HOSTING": os.environ.get("EP_HOSTING", "Non renseigné : poste de développement (à renseigner : EP_HOSTING)"),
        # One submission's files together (the requests service limits each file too).
        "MAX_CONTENT_LENGTH": int(os.environ.get("EP_UPLOAD_MAX_BYTES", 25 * 1024 * 1024)),
    }


# --- metrics (services/web/metrics.py, gunicorn_conf.py): read outside the app, by gunicorn's master too
def metrics_port() -> int:
    """WEB_METRICS_PORT: where gunicorn's master serves the web's /metrics; 0 or unset: not served."""
    return int(os.environ.get("WEB_METRICS_PORT") or 0)


def metrics_address() -> str:
    return os.environ.get("EP_METRICS_ADDRESS", "127.0.0.1")


def metrics_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def prepare_metrics_dir() -> None:
    """Before gunicorn forks its workers (and before prometheus_client is imported, which reads the
    variable once): the multiprocess directory, emptied of a previous run's files, or a new temporary
    one when none is given. Nothing when the web's metrics are not served."""
    if not metrics_port():
        return
    import tempfile

    directory = Path(metrics_dir() or tempfile.mkdtemp(prefix="ep-web-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
