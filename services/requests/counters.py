"""The kept counts' one write: add to a row of counters, creating it if absent, in one statement (the
statistics' monthly rows and delay histograms, the caisse's tallies and backlog by day)."""
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def bump(db, model, keys: dict, **increments) -> None:
    """Adds ``increments`` to the row of ``keys``: safe when two transactions count the same row (the
    database serialises the conflict; both additions stay)."""
    bind = db if isinstance(db, sa.Connection) else db.get_bind()
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    statement = insert(model).values(**keys, **increments)
    table = model.__table__
    db.execute(statement.on_conflict_do_update(
        index_elements=list(keys), set_={k: table.c[k] + statement.excluded[k] for k in increments}))
