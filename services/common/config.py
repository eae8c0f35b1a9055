"""Configuration from environment variables, with laptop defaults.

Each service reads ``<SERVICE>_DATABASE_URL``; unset means a SQLite file
under ``EP_DATA_DIR`` (default ``var/data`` in the repository).
"""
import os
import socket
from datetime import timedelta
from pathlib import Path

from contracts import production

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    path = Path(os.environ.get("EP_DATA_DIR", REPO_ROOT / "var" / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(service: str) -> str:
    return os.environ.get(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{data_dir() / service}.db"


def health_address(service: str) -> tuple[str, int] | None:
    """Where the service answers its liveness and readiness probes over HTTP (services.common.probes):
    ``<SERVICE>_HEALTH_PORT``, a port (on 127.0.0.1) or ``host:port`` (``0.0.0.0:8081`` for an
    orchestrator probing from outside the container); unset, no probe server."""
    value = os.environ.get(f"{service.upper()}_HEALTH_PORT", "").strip()
    if not value:
        return None
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def check_production(service: str) -> None:
    """EP_ENV=production: no example secret, no guest broker account, no SQLite file."""
    problems = [production.secret_problem("EP_RPC_SECRET", os.environ.get("EP_RPC_SECRET", "")),
                production.broker_problem(os.environ.get("AMQP_URI", ""))]
    if os.environ.get("EP_TOTP_KEY"):        # optional: EP_RPC_SECRET seals the TOTP keys otherwise
        problems.append(production.secret_problem("EP_TOTP_KEY", os.environ["EP_TOTP_KEY"]))
    if not os.environ.get(f"{service.upper()}_DATABASE_URL", "").startswith("postgresql"):
        problems.append(f"{service.upper()}_DATABASE_URL doit désigner la base PostgreSQL du service.")
    production.refuse_unless_ready(problems, f"service {service}")


def rpc_secret() -> str:
    secret = os.environ.get("EP_RPC_SECRET", "")
    if len(secret) < 32:
        raise RuntimeError(
            "EP_RPC_SECRET doit être défini (32 caractères au moins) : "
            "il signe l'identité transmise par le web aux services."
        )
    return secret


def instance_id() -> str:
    """Which process answered (host and pid): ``health`` tells it, so replicas can be told apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


# Readers for each service's settings.py (the only modules that read the environment).
def env_text(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_number(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def env_duration(name: str, default: float):
    """A duration setting, read when called: the variable's name ends with its unit
    (``EP_INVITATION_DAYS``, ``EP_SESSION_IDLE_MINUTES``…), as the README's table shows it."""
    unit = name.rsplit("_", 1)[1].lower()
    if unit not in ("days", "hours", "minutes", "seconds"):
        raise ValueError(f"{name}: the name of a duration ends with its unit")
    return lambda: timedelta(**{unit: env_number(name, default)})


def metrics_port(service: str) -> int:
    """The port of a service's /metrics (``<SERVICE>_METRICS_PORT``); 0 or unset: not served."""
    return int(os.environ.get(f"{service.upper()}_METRICS_PORT") or 0)


def metrics_address() -> str:
    """Where /metrics listens (``EP_METRICS_ADDRESS``): the loopback on a workstation, the private
    network of the stack in a container; never published with the public site."""
    return os.environ.get("EP_METRICS_ADDRESS", "127.0.0.1")
