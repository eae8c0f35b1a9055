"""Liveness and readiness over HTTP (services.common.probes) in a running container: its database
unreachable makes it not ready (a SQLite file gone; a PostgreSQL database refusing connections) while
it stays alive, and ready again once the database is back; another path is not a probe."""
import json
import os
import shutil
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from devtools.stack import free_port
from services.common import health
from services.common.db import Database

pytestmark = [pytest.mark.db, pytest.mark.integration]


def probed_service(database_url: str):
    class ProbedService(health.Health):
        name = "probed"
        db = Database("accounts", lambda: database_url)      # any service's schema will do

    return ProbedService


def probe(port: int, path: str) -> tuple[int, dict | None]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read()) if path in ("/vivant", "/pret") else None


class Outage:
    """The service's database made unreachable, then back."""

    def __init__(self, url: str):
        self.url = sa.make_url(url)

    def _postgres(self, allow: bool):
        admin = sa.create_engine(os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{self.url.database}" ALLOW_CONNECTIONS {str(allow).lower()}'))
        admin.dispose()

    def __enter__(self):
        if self.url.get_backend_name() == "sqlite":
            shutil.move(self.url.database, self.url.database + ".away")
        else:
            self._postgres(False)

    def __exit__(self, *exc):
        if self.url.get_backend_name() == "sqlite":
            shutil.move(self.url.database + ".away", self.url.database)
        else:
            self._postgres(True)


def test_not_ready_without_its_database_alive_all_along(container_factory, amqp_uri, database_urls, monkeypatch):
    port = free_port()
    monkeypatch.setenv("PROBED_HEALTH_PORT", str(port))
    container = container_factory(probed_service(database_urls["accounts"]), {"AMQP_URI": amqp_uri})
    container.start()

    assert probe(port, "/vivant") == (200, {"service": "probed", "status": "ok"})
    assert probe(port, "/pret") == (200, {"service": "probed", "status": "ok",
                                          "checks": {"broker": "ok", "database": "ok"}})
    with Outage(database_urls["accounts"]):
        status, body = probe(port, "/pret")
        assert status == 503 and body["checks"] == {"broker": "ok", "database": "indisponible"}
        assert probe(port, "/vivant")[0] == 200
    assert probe(port, "/pret")[0] == 200
    assert probe(port, "/autre")[0] == 404
