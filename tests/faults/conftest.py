"""The system the fault tests break: on a private RabbitMQ node (tests/faults/broker.py)
so stopping the broker disturbs nobody else, with two processes of each service
(as two replicas would run), gunicorn and the mail catcher, on its own seeded
SQLite databases. Started once for the faults tests; every test leaves it serving."""
import contextlib
import time

import pytest

from contracts.rpc import RpcClient
from devtools.stack import SERVICES, Stack
from tests.conftest import Mailbox
from tests.faults.broker import PrivateBroker
from tests.faults.system import RPC_TIMEOUT, fault_system

INSTANCES = 2


@pytest.fixture(scope="session")
def private_broker(tmp_path_factory):
    broker = PrivateBroker(tmp_path_factory.mktemp("rabbitmq"))
    try:
        yield broker.start()
    finally:
        broker.stop()             # whatever happened: a stopped app, a failed test


@pytest.fixture(scope="session")
def fault_stack(private_broker, rpc_secret, tmp_path_factory):
    with fault_system(private_broker.amqp_uri, rpc_secret, tmp_path_factory.mktemp("fault-data"),
                      tmp_path_factory.mktemp("fault-logs"), INSTANCES) as running:
        wait_all_instances(running)
        yield running


def instances_answering(amqp_uri: str, service: str, calls: int = 12) -> set[str]:
    """The distinct processes that answered ``calls`` health calls in a row."""
    client = RpcClient(amqp_uri, timeout=RPC_TIMEOUT)
    try:
        return {client.call(service, "health")["instance"] for _ in range(calls)}
    finally:
        client.close()


def wait_all_instances(stack: Stack, services=SERVICES, timeout: float = 60, instances: int = INSTANCES) -> None:
    """Every process of each service consumes again (one healthy instance is not enough)."""
    deadline = time.monotonic() + timeout
    for service in services:
        while True:
            answering = []
            with contextlib.suppress(Exception):     # not yet: the broker or a consumer is still coming back
                answering = instances_answering(stack.env["AMQP_URI"], service)
            if len(answering) == instances:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"not every {service} instance serves after {timeout}s; see {stack.log_dir}")
            time.sleep(0.3)


@pytest.fixture(scope="session")
def fault_mailbox(fault_stack):
    return Mailbox(fault_stack.env["EP_MAILCATCHER_URL"])
