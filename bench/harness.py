"""What every bench shares: a private RabbitMQ vhost, private databases (SQLite files by
default, PostgreSQL databases with BENCH_DATABASE=postgresql), the system started as real
processes (devtools.stack) on them, signed identities, logged-in web sessions and latency
statistics. Everything a bench creates is removed when it ends."""
import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from devtools import scratch
from devtools.stack import SERVICES, Stack, free_port, wait_for_port

POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
RUN_ID = uuid.uuid4().hex[:8]


def command_line(run, **defaults: int) -> None:
    """A bench's ``main``: its whole-number options (``--name``, with their defaults), then
    ``run(**options)``'s figures printed as one JSON line."""
    parser = argparse.ArgumentParser()
    for name, default in defaults.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    print(json.dumps(run(**vars(parser.parse_args()))))


def backend() -> str:
    return os.environ.get("BENCH_DATABASE", "sqlite")


def private_vhost():
    return scratch.private_vhost(f"ep-bench-{RUN_ID}-{uuid.uuid4().hex[:6]}")


def private_databases(folder: Path, names=SERVICES):
    """{name: SQLAlchemy URL}, empty databases dropped at the end."""
    tag = uuid.uuid4().hex[:4]
    return scratch.private_databases(folder, {name: f"ep_bench_{RUN_ID}_{tag}_{name}" for name in names},
                                     None if backend() == "sqlite" else POSTGRES_ADMIN_URL)


@contextmanager
def environment(extra_databases=()):
    """The environment of one system: vhost, databases (the services' and ``extra_databases``
    in ``urls``), secrets, ports, a scratch folder."""
    with tempfile.TemporaryDirectory(prefix="ep-bench-") as scratch, private_vhost() as amqp_uri, \
            private_databases(Path(scratch), (*SERVICES, *extra_databases)) as urls:
        ports = {"web_port": free_port(), "smtp_port": free_port(), "mail_http_port": free_port()}
        env = {"AMQP_URI": amqp_uri, "EP_RPC_SECRET": secrets.token_urlsafe(48), "EP_SECRET_KEY": "b" * 48,
               "EP_ATTACHMENTS_DIR": f"{scratch}/attachments", "EP_BASE_URL": f"http://127.0.0.1:{ports['web_port']}",
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(ports["smtp_port"]), "EP_RPC_TIMEOUT": "10",
               "LOG_LEVEL": "WARNING",
               # The benches sign in many clients from one address (bench.login_flood keeps the real limits).
               "EP_RATE_LIMIT_PER_ADDRESS": "1000000/minute", "EP_RATE_LIMIT_OVERALL": "1000000/second",
               **{f"{s.upper()}_DATABASE_URL": urls[s] for s in SERVICES}}
        yield {"env": env, "ports": ports, "scratch": Path(scratch), "urls": urls}


def seed(env: dict, services=("accounts", "requests"), **overrides) -> None:
    """Migrate and load the demo data (partners, conventions, the demo accounts)."""
    env = {**env, **overrides}
    for service in services:
        subprocess.run([sys.executable, "-m", f"services.{service}.seed"], check=True, capture_output=True,
                       env={**os.environ, **env})


@contextmanager
def running(context: dict, processes=None, web_workers=2):
    """The system on ``context`` (from ``environment``); ``processes``: a subset of
    mailcatcher/accounts/requests/notifier/web, default all."""
    stack = Stack(context["env"], context["scratch"] / "logs", web_workers=web_workers, **context["ports"])
    try:
        if processes is None:
            stack.start()
        else:
            for name in processes:
                stack.start_process(name)
            stack.wait_healthy([p for p in processes if p in SERVICES])
        yield stack
    finally:
        stack.stop()


def wait_for_smtp(context: dict) -> None:
    wait_for_port(context["ports"]["smtp_port"])


def engine(url: str) -> sa.Engine:
    """A plain engine on a service database, outside any service (data generation, baselines)."""
    from services.common.db import make_engine

    return make_engine(url)


def service_token(env: dict, aud: str, service: str = "notifier") -> str:
    """A service's identity for the one method ``aud`` (``service.method``) it is sent to."""
    from contracts import identity

    return identity.sign({"id": None, "profile": "service", "service": service}, env["EP_RPC_SECRET"], aud)


# --- the web, as a browser would use it ------------------------------------------------------

DEMO_TECHNICIEN = ("technicien@ccas-saint-exemple.test", "Techni-Demo-2026!")


def web_session(base_url: str, email=DEMO_TECHNICIEN[0], password=DEMO_TECHNICIEN[1], headers=None):
    """A ``requests.Session`` logged in through the login form (CSRF token included); ``headers``
    go with each of its requests."""
    import requests

    session = requests.Session()
    session.headers.update(headers or {})
    answer = session.post(f"{base_url}/connexion", timeout=30, allow_redirects=False, data={
        "csrf_token": csrf_token(session, f"{base_url}/connexion"), "email": email, "password": password})
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"login failed ({answer.status_code})")
    return session


def csrf_token(session, url: str) -> str:
    """The CSRF token of the form at ``url`` (valid for the session)."""
    page = session.get(url, timeout=30).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


# --- statistics -------------------------------------------------------------------------------

def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def latency(samples_ms: list[float]) -> dict:
    return {"p50_ms": round(statistics.median(samples_ms), 3), "p95_ms": round(percentile(samples_ms, 95), 3),
            "p99_ms": round(percentile(samples_ms, 99), 3), "n": len(samples_ms)}


def interleaved(fns: dict, count: int, warmup: int = 20) -> dict:
    """Milliseconds of ``count`` calls of each of ``fns`` (after ``warmup`` untimed ones),
    alternating them call by call, so a noisy neighbour weighs on each variant alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in fns}
    for _ in range(count):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples
