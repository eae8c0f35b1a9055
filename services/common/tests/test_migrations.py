"""Each service's migrations build exactly what its models declare, and go
back down cleanly (on SQLite and, in the second pass, on PostgreSQL)."""
import pytest
import sqlalchemy as sa
from alembic import command

from services.common import migrations
from services.common.db import make_engine

pytestmark = pytest.mark.db


@pytest.mark.parametrize("service", ["accounts", "requests", "notifier"])
def test_migrations_match_models_and_downgrade(service, tmp_path, database_urls):
    url = database_urls[service] if not database_urls[service].startswith("sqlite") else f"sqlite:///{tmp_path}/m.db"
    engine = make_engine(url)
    try:
        migrations.upgrade(service, engine)
        command.check(migrations.alembic_config(service, engine=engine))        # models == schema
        if url.startswith("sqlite"):
            command.downgrade(migrations.alembic_config(service, engine=engine), "base")
            assert sa.inspect(engine).get_table_names() == [f"alembic_version_{service}"]
            migrations.upgrade(service, engine)
    finally:
        engine.dispose()
