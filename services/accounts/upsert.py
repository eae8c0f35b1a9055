"""INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike: a row that parallel requests may all
create at once is created once, without an IntegrityError for the others."""
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_missing(session: Session, model, **values) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(model).values(**values).on_conflict_do_nothing())
