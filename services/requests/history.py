"""Reading requests: a partner's recent history, a caisse's open queue."""
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.requests.catalogue import KINDS, OPEN_STATUSES, STATUSES
from services.requests.models import PartnerRequest


def as_row(request: PartnerRequest) -> dict:
    return {
        "id": request.id,
        "reference": request.reference,
        "kind": request.kind,
        "kind_label": KINDS.get(request.kind, request.kind),
        "status": request.status,
        "status_label": STATUSES.get(request.status, request.status),
        "created_at": request.created_at.isoformat(),
        "created_by_name": request.created_by_name,
    }


def recent_for_partner(session: Session, partner_id: int, limit: int = 10) -> list[dict]:
    rows = session.scalars(
        sa.select(PartnerRequest)
        .where(PartnerRequest.partner_id == partner_id)
        .order_by(PartnerRequest.created_at.desc(), PartnerRequest.id.desc())
        .limit(limit)
    )
    return [as_row(r) for r in rows]


def open_counts_for_caisse(session: Session, caisse_code: str) -> dict:
    rows = session.execute(
        sa.select(PartnerRequest.status, sa.func.count())
        .where(PartnerRequest.caisse_code == caisse_code, PartnerRequest.status.in_(OPEN_STATUSES))
        .group_by(PartnerRequest.status)
    ).all()
    counts = dict(rows)
    return {"counts": [{"status": s, "label": STATUSES[s], "count": counts.get(s, 0)} for s in OPEN_STATUSES]}
