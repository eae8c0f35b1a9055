"""Ids and cursors a caller sends (a number in a URL, a list's next page): the one rule of what they name.

A row id is a whole number in 1..2**63-1, what both databases' integer keys hold. Anything else (a text,
a list, a fraction, a boolean, a huge or negative number) names no row: the lookup answers NotFound, as
for an id that does not exist. Sent to the database as is, a huge value is an error of ours in a worker
(SQLite: OverflowError, PostgreSQL: DataError), logged with its traceback at ERROR.
"""
from contracts.errors import ValidationFailed

LARGEST = 2**63 - 1
BAD_CURSOR = "Page demandée invalide."


def row_id(raw) -> int | None:
    """``raw`` as a row id, or None when it cannot name a row."""
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        return None
    try:
        number = int(raw)
    except ValueError:
        return None
    return number if 0 < number <= LARGEST else None


def row(session, model, raw):
    """The row of ``model`` whose id the caller sent, or None."""
    number = row_id(raw)
    return session.get(model, number) if number is not None else None


def cursor(raw) -> int | None:
    """A keyset list's cursor (the last row id of the previous page): None for the first page;
    ValidationFailed on ``cursor`` for one that names no row (the list says so above its rows)."""
    if raw in (None, ""):
        return None
    number = row_id(raw)
    if number is None:
        raise ValidationFailed(None, {"cursor": BAD_CURSOR})
    return number
