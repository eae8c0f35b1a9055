"""Fixtures shared by every test session: a private RabbitMQ vhost per run,
a database per service (SQLite files, or PostgreSQL databases in the second
pass when EP_TEST_DB=postgresql), and the secrets.

The test command (devtools.testrun) makes sure RabbitMQ runs; nothing here
skips for lack of a broker or a database.
"""
import os
import secrets
import uuid

import pytest

from devtools.scratch import private_databases, private_vhost

SERVICES = ("accounts", "requests", "notifier")
RUN_ID = uuid.uuid4().hex[:10]


def pytest_collection_modifyitems(config, items):
    """PostgreSQL's own behaviour (row locks, per-connection settings) is tested in the PostgreSQL pass only:
    deselected in the SQLite pass, not reported as skipped."""
    if os.environ.get("EP_TEST_DB", "sqlite") != "sqlite":
        return
    elsewhere = [item for item in items if item.get_closest_marker("postgresql")]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]


@pytest.fixture(scope="session")
def amqp_uri():
    with private_vhost(f"ep-test-{RUN_ID}") as uri:
        yield uri


@pytest.fixture
def fresh_amqp_uri():
    """A vhost where nothing was ever declared, as a broker on a first deployment."""
    with private_vhost(f"ep-test-{RUN_ID}-{uuid.uuid4().hex[:8]}") as uri:
        yield uri


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """{service: SQLAlchemy URL}, fresh for the session."""
    postgres = None if os.environ.get("EP_TEST_DB", "sqlite") == "sqlite" else \
        os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    with private_databases(tmp_path_factory.mktemp("db"), {s: f"ep_{RUN_ID}_{s}" for s in SERVICES},
                           postgres) as urls:
        yield urls


@pytest.fixture(scope="session")
def rpc_secret():
    return secrets.token_urlsafe(48)


@pytest.fixture(scope="session")
def service_env(amqp_uri, database_urls, rpc_secret, tmp_path_factory):
    """Environment a service process (or in-process container) runs with."""
    env = {"AMQP_URI": amqp_uri, "EP_RPC_SECRET": rpc_secret,
           "EP_ATTACHMENTS_DIR": str(tmp_path_factory.mktemp("attachments")),
           # Race tests sign in many at once on purpose; the hashing lane is tested on its own; tests ask
           # for reset links again and again (the pace of reset links too is tested on its own).
           "EP_HASHING_CONCURRENCY": "16", "EP_RESET_LINK_EVERY_SECONDS": "0"}
    env.update({f"{s.upper()}_DATABASE_URL": url for s, url in database_urls.items()})
    return env


@pytest.fixture(scope="session")
def spare_service_env(rpc_secret, tmp_path_factory):
    """A second system's environment (its own vhost and SQLite databases), for tests that may
    change anything at all (hostile input): the main system's demo data stays as others expect."""
    data = tmp_path_factory.mktemp("spare")
    with private_vhost(f"ep-test-{RUN_ID}-spare") as uri:
        env = {"AMQP_URI": uri, "EP_RPC_SECRET": rpc_secret, "EP_ATTACHMENTS_DIR": str(data / "attachments")}
        env.update({f"{s.upper()}_DATABASE_URL": f"sqlite:///{data}/{s}.db" for s in SERVICES})
        yield env
