"""The ``health`` RPC method every service answers: its database reached, which instance answered."""
import sqlalchemy as sa

from services.common.config import instance_id
from services.common.entrypoint import rpc
from services.common.probes import Probes


class Health:
    """Mixed into each service class, which has ``name`` and a ``db`` (services.common.db.Database).
    A service module names it ``health.Health`` (imports the module, not the class): `nameko run <module>`
    takes every class of the module that has entrypoints for a service, and this one has no ``name``.
    ``probes``: liveness and readiness over HTTP for an orchestrator (services.common.probes)."""

    probes = Probes()

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok", "database": self.db.bind.dialect.name,
                "instance": instance_id()}
