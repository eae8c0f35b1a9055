"""How many files may be attached (issue 16: « a caller can attach files without limit across
message actions », disk and memory): per request, each side its own (the partner's files, the
caisse's), and per person per day (UTC), all requests together; count and total size, from the
settings (EP_ATTACHMENTS_PER_REQUEST…).

``check`` refuses early, before any file is scanned or stored, from what is already counted;
``claim`` counts the files, in the transaction that records them, by a conditional UPDATE on the
budget's row: of twenty calls at the edge, exactly those that fit pass (PostgreSQL locks the row
until commit; SQLite writes one at a time), and a call rolled back gives its files back.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.errors import AttachmentQuotaReached
from services.requests import settings
from services.requests.models import Attachment, AttachmentBudget, utcnow


def _mo(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} Mo"


def _budgets(who: dict, request_id, direction: str, now: datetime):
    """(kind, owner, period, max files, max bytes, the French sentence when it is full)."""
    day = now.date().isoformat()
    if request_id is not None:
        yield ("request", f"{request_id}:{direction}", "", settings.attachments_per_request(),
               settings.attachment_bytes_per_request(),
               f"Cette demande a atteint sa limite de pièces jointes ({settings.attachments_per_request()} fichiers, "
               f"{_mo(settings.attachment_bytes_per_request())} au total) : transmettez les autres par votre caisse.")
    yield ("person", str(who["id"]), day, settings.attachments_per_day(), settings.attachment_bytes_per_day(),
           f"Vous avez atteint la limite de pièces jointes du jour ({settings.attachments_per_day()} fichiers, "
           f"{_mo(settings.attachment_bytes_per_day())}) : réessayez demain.")


def _refuse(message: str):
    raise AttachmentQuotaReached(message, {"attachment": message})


def check(session: Session, who: dict, request_id, direction: str, sizes: list[int]) -> None:
    """Refuse at once when the files cannot fit (read only: ``claim`` decides)."""
    if not sizes:
        return
    for kind, owner, period, max_files, max_bytes, full in _budgets(who, request_id, direction, utcnow()):
        row = session.get(AttachmentBudget, (kind, owner))
        files, size = (row.files, row.bytes) if row is not None and row.period == period else (0, 0)
        if files + len(sizes) > max_files or size + sum(sizes) > max_bytes:
            _refuse(full)


def claim(session: Session, who: dict, request_id, direction: str, sizes: list[int]) -> None:
    """Count ``sizes`` against every budget, or raise AttachmentQuotaReached (the caller rolls back)."""
    if not sizes:
        return
    for kind, owner, period, max_files, max_bytes, full in _budgets(who, request_id, direction, utcnow()):
        _ensure_row(session, kind, owner, period, request_id, direction)
        same = AttachmentBudget.period == period           # another day: the count starts again
        files = sa.case((same, AttachmentBudget.files), else_=0)
        size = sa.case((same, AttachmentBudget.bytes), else_=0)
        claimed = session.execute(
            sa.update(AttachmentBudget)
            .where(AttachmentBudget.kind == kind, AttachmentBudget.owner == owner,
                   files + len(sizes) <= max_files, size + sum(sizes) <= max_bytes)
            .values(files=files + len(sizes), bytes=size + sum(sizes), period=period)
            .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            _refuse(full)


def _ensure_row(session: Session, kind, owner, period, request_id, direction) -> None:
    """A request's first count is the files it already has (made before the budgets); a person's is 0."""
    if session.get(AttachmentBudget, (kind, owner)) is not None:
        return
    files = size = 0
    if kind == "request":
        files, size = session.execute(sa.select(sa.func.count(Attachment.id), sa.func.coalesce(
            sa.func.sum(Attachment.size), 0)).where(Attachment.request_id == request_id,
                                                    Attachment.direction == direction)).one()
    try:
        with session.begin_nested():
            session.add(AttachmentBudget(kind=kind, owner=owner, period=period, files=files, bytes=size))
    except IntegrityError:
        pass                                   # made by a concurrent call: its count stands
