"""Throw-away broker and databases for one test or bench run: a private RabbitMQ vhost and
empty databases (SQLite files in a folder, or PostgreSQL databases), removed at the end."""
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from contracts.broker import DEFAULT_AMQP_URI

RABBITMQCTL = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"     # as the operator runs it


@contextmanager
def private_vhost(vhost: str):
    """The AMQP URI of a new vhost on the local broker (guest may use it), deleted afterwards."""
    subprocess.run([RABBITMQCTL, "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run([RABBITMQCTL, "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    try:
        yield f"{DEFAULT_AMQP_URI}{quote(vhost, safe='')}"
    finally:
        subprocess.run([RABBITMQCTL, "-q", "delete_vhost", vhost], capture_output=True)


@contextmanager
def private_databases(folder: Path, names: dict[str, str], postgres_admin_url: str | None):
    """{name: SQLAlchemy URL} for ``names`` ({name: database name}): SQLite files in ``folder``
    when ``postgres_admin_url`` is None, else PostgreSQL databases created and then dropped."""
    if postgres_admin_url is None:
        yield {name: f"sqlite:///{folder}/{name}.db" for name in names}
        return
    import sqlalchemy as sa

    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for database in names.values():
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    base = sa.engine.make_url(postgres_admin_url)
    try:
        yield {name: base.set(database=db).render_as_string(hide_password=False) for name, db in names.items()}
    finally:
        with admin.connect() as conn:
            for database in names.values():
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
