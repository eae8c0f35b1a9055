"""The system the fault tests (and the cluster bench) break: the services and gunicorn on a private
broker, on their own seeded SQLite databases, the mail catcher and its ports. One place for its settings."""
import contextlib
import os
import subprocess
import sys
from pathlib import Path

from devtools.stack import REPO_ROOT, SERVICES, Stack, free_port
from tests.conftest import LIFTED_FLOOD_LIMITS

RPC_TIMEOUT = 3.0


@contextlib.contextmanager
def fault_system(amqp_uri: str, rpc_secret: str, data: Path, logs: Path, instances: int,
                 process_env: dict | None = None, database_urls: dict | None = None):
    """Seeded, started, serving; stopped on leaving whatever happened. ``process_env``: per program
    overrides (Stack), e.g. the web on another order of a cluster's nodes; ``database_urls``: {service:
    URL} (the bench's PostgreSQL databases), SQLite files in ``data`` by default."""
    urls = database_urls or {s: f"sqlite:///{data}/{s}.db" for s in SERVICES}
    ports = {"web_port": free_port(), "smtp_port": free_port(), "mail_http_port": free_port()}
    env = {
        "AMQP_URI": amqp_uri,
        "EP_RPC_SECRET": rpc_secret,
        "EP_ATTACHMENTS_DIR": str(data / "attachments"),
        **{f"{s.upper()}_DATABASE_URL": urls[s] for s in SERVICES},
        "EP_SECRET_KEY": "f" * 48,
        **LIFTED_FLOOD_LIMITS,
        "EP_BASE_URL": f"http://127.0.0.1:{ports['web_port']}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(ports["smtp_port"]),
        "SMTP_TIMEOUT": "30",
        "EP_MAILCATCHER_URL": f"http://127.0.0.1:{ports['mail_http_port']}",
        "EP_RPC_TIMEOUT": str(RPC_TIMEOUT),
        # Timers often, so the once-only test sees several rounds of each, by each instance.
        "EP_SWEEP_INTERVAL_SECONDS": "1",
        "EP_NOTIFIER_SWEEP_SECONDS": "1",
        "EP_SUMMARY_CHECK_SECONDS": "1",
    }
    for service in ("accounts", "requests"):
        subprocess.run([sys.executable, "-m", f"services.{service}.seed"], cwd=REPO_ROOT, check=True,
                       env={**os.environ, **env}, capture_output=True)
    running = Stack(env, logs, instances=instances, process_env=process_env, **ports)
    try:
        running.start()
        yield running
    finally:
        running.stop()
