"""Fixtures shared by every test session: a private RabbitMQ vhost per run,
a database per service (SQLite files, or PostgreSQL databases in the second
pass when EP_TEST_DB=postgresql), and the secrets.

The test command (devtools.testrun) makes sure RabbitMQ runs; nothing here
skips for lack of a broker or a database.
"""
import os
import secrets
import subprocess
import uuid
from urllib.parse import quote

import pytest

SERVICES = ("accounts", "requests", "notifier")
RUN_ID = uuid.uuid4().hex[:10]


def _private_vhost(vhost):
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    yield f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)


@pytest.fixture(scope="session")
def amqp_uri():
    yield from _private_vhost(f"ep-test-{RUN_ID}")


@pytest.fixture
def fresh_amqp_uri():
    """A vhost where nothing was ever declared, as a broker on a first deployment."""
    yield from _private_vhost(f"ep-test-{RUN_ID}-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory):
    """{service: SQLAlchemy URL}, fresh for the session."""
    backend = os.environ.get("EP_TEST_DB", "sqlite")
    if backend == "sqlite":
        folder = tmp_path_factory.mktemp("db")
        yield {s: f"sqlite:///{folder}/{s}.db" for s in SERVICES}
        return
    import sqlalchemy as sa

    admin_url = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    names = {s: f"ep_{RUN_ID}_{s}" for s in SERVICES}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = sa.engine.make_url(admin_url)
    yield {s: base.set(database=name).render_as_string(hide_password=False) for s, name in names.items()}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def rpc_secret():
    return secrets.token_urlsafe(48)


@pytest.fixture(scope="session")
def service_env(amqp_uri, database_urls, rpc_secret, tmp_path_factory):
    """Environment a service process (or in-process container) runs with."""
    env = {"AMQP_URI": amqp_uri, "EP_RPC_SECRET": rpc_secret,
           "EP_ATTACHMENTS_DIR": str(tmp_path_factory.mktemp("attachments"))}
    env.update({f"{s.upper()}_DATABASE_URL": url for s, url in database_urls.items()})
    return env


@pytest.fixture(scope="session")
def spare_service_env(rpc_secret, tmp_path_factory):
    """A second system's environment (its own vhost and SQLite databases), for tests that may
    change anything at all (hostile input): the main system's demo data stays as others expect."""
    data = tmp_path_factory.mktemp("spare")
    for uri in _private_vhost(f"ep-test-{RUN_ID}-spare"):
        env = {"AMQP_URI": uri, "EP_RPC_SECRET": rpc_secret, "EP_ATTACHMENTS_DIR": str(data / "attachments")}
        env.update({f"{s.upper()}_DATABASE_URL": f"sqlite:///{data}/{s}.db" for s in SERVICES})
        yield env
