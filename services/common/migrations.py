"""Alembic, driven from code: each service keeps its scripts in
``services/<name>/migrations`` and its own version table, so the services can
share a PostgreSQL server (or even a database) without stepping on each other."""
from importlib import import_module
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

SERVICES_DIR = Path(__file__).resolve().parents[1]


def alembic_config(service: str, engine=None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    cfg.set_main_option("version_table", f"alembic_version_{service}")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["engine"] = engine
    cfg.attributes["service"] = service
    return cfg


def upgrade(service: str, engine) -> None:
    command.upgrade(alembic_config(service, engine=engine), "head")


def run_env(context, target_metadata) -> None:
    """Body of every service's env.py (online mode only: we always have an engine)."""
    cfg = context.config
    engine = cfg.attributes.get("engine")
    if engine is None:
        from services.common.db import make_engine

        engine = make_engine(cfg.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations recreate tables; SQLite's FK checks would refuse the swap.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            _one_at_a_time(connection, cfg.attributes.get("service") or cfg.get_main_option("version_table"))
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                version_table=cfg.get_main_option("version_table"),
                render_as_batch=sqlite,
            )
            context.run_migrations()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def _one_at_a_time(connection, service: str) -> None:
    """Replicas starting together (``docker compose up --scale``) would each run the same
    migration; the first takes a lock held until its migrations commit, the others then
    read the version table and find the schema at head."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                           {"key": f"alembic_version_{service}"})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")   # the write lock, waited for (busy timeout)


def models_metadata(service: str):
    return import_module(f"services.{service}.models").Base.metadata
