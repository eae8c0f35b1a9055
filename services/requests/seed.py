"""Fictitious demo requests for the demo partner (ids match services.accounts.seed:
partner 1 of caisse 999). Idempotent."""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.common.db import seed_command
from services.requests.models import PartnerRequest, utcnow

DEMO = [
    ("DEMO-000001", "document", "submitted", 1),
    ("DEMO-000002", "etude_dossier", "in_progress", 4),
    ("DEMO-000003", "rendez_vous", "closed", 12),
]


def seed(session: Session, partner_id: int = 1, caisse_code: str = "999", author: int = 5) -> None:
    for reference, kind, status, days_ago in DEMO:
        if session.scalar(sa.select(PartnerRequest.id).filter_by(reference=reference)):
            continue
        when = utcnow() - timedelta(days=days_ago)
        session.add(PartnerRequest(reference=reference, partner_id=partner_id, caisse_code=caisse_code,
                                   kind=kind, status=status, created_by=author, created_by_name="Hugo Lambertin",
                                   created_at=when, updated_at=when))
    session.commit()


if __name__ == "__main__":
    seed_command("requests", seed)
