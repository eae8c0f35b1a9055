"""The system the fault tests break: on a private RabbitMQ node (tests/faults/broker.py)
so stopping the broker disturbs nobody else, with two processes of each service
(as two replicas would run), gunicorn and the mail catcher, on its own seeded
SQLite databases. Started once for the faults tests; every test leaves it serving."""
import contextlib
import os
import subprocess
import sys
import time

import pytest

from contracts.rpc import RpcClient
from devtools.stack import REPO_ROOT, SERVICES, Stack, free_port
from tests.conftest import UNLIMITED_ANONYMOUS_POSTS, Mailbox
from tests.faults.broker import PrivateBroker

INSTANCES = 2
RPC_TIMEOUT = 3.0


@pytest.fixture(scope="session")
def private_broker(tmp_path_factory):
    broker = PrivateBroker(tmp_path_factory.mktemp("rabbitmq"))
    try:
        yield broker.start()
    finally:
        broker.stop()             # whatever happened: a stopped app, a failed test


@pytest.fixture(scope="session")
def fault_stack(private_broker, rpc_secret, tmp_path_factory):
    data = tmp_path_factory.mktemp("fault-data")
    ports = {"web_port": free_port(), "smtp_port": free_port(), "mail_http_port": free_port()}
    env = {
        "AMQP_URI": private_broker.amqp_uri,
        "EP_RPC_SECRET": rpc_secret,
        "EP_ATTACHMENTS_DIR": str(data / "attachments"),
        **{f"{s.upper()}_DATABASE_URL": f"sqlite:///{data}/{s}.db" for s in SERVICES},
        "EP_SECRET_KEY": "f" * 48,
        **UNLIMITED_ANONYMOUS_POSTS,
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
    running = Stack(env, tmp_path_factory.mktemp("fault-logs"), instances=INSTANCES, **ports)
    try:
        running.start()
        wait_all_instances(running)
        yield running
    finally:
        running.stop()


def instances_answering(amqp_uri: str, service: str, calls: int = 12) -> set[str]:
    """The distinct processes that answered ``calls`` health calls in a row."""
    client = RpcClient(amqp_uri, timeout=RPC_TIMEOUT)
    try:
        return {client.call(service, "health")["instance"] for _ in range(calls)}
    finally:
        client.close()


def wait_all_instances(stack: Stack, services=SERVICES, timeout: float = 60) -> None:
    """Every process of each service consumes again (one healthy instance is not enough)."""
    deadline = time.monotonic() + timeout
    for service in services:
        while True:
            answering = []
            with contextlib.suppress(Exception):     # not yet: the broker or a consumer is still coming back
                answering = instances_answering(stack.env["AMQP_URI"], service)
            if len(answering) == INSTANCES:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"not every {service} instance serves after {timeout}s; see {stack.log_dir}")
            time.sleep(0.3)


@pytest.fixture(scope="session")
def fault_mailbox(fault_stack):
    return Mailbox(fault_stack.env["EP_MAILCATCHER_URL"])
