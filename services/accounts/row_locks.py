"""Serialising the changes a rule counts (caps, the last gestionnaire, the last administrateur): a no-op
UPDATE of the row they hang on (the partner, the caisse) takes its lock for the rest of the transaction,
so the count read after it includes whatever another such change committed meanwhile. PostgreSQL: a row
lock (what SELECT … FOR UPDATE takes); SQLite: the first write opens the (single) write transaction."""
import sqlalchemy as sa
from sqlalchemy.orm import Session


def lock(session: Session, column, row_id: int) -> None:
    """``column``: any plain column of the row's model (set to itself), e.g. Partner.name."""
    model = column.class_
    session.execute(sa.update(model).where(model.id == row_id).values({column.key: column})
                    .execution_options(synchronize_session=False))
