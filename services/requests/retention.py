"""How long finished requests are kept: EP_REQUEST_RETENTION_DAYS after their last change
(answered, closed or not admissible), then deleted with their timelines and files.
0 (the default) keeps them: the period is each caisse's decision (its CNIL deliberation),
set in its deployment's environment."""
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.requests import settings
from services.requests.catalogue import OPEN_STATUSES
from services.requests.models import PartnerRequest, utcnow
from services.requests.personal_data import delete_requests

BATCH = 200


def purge_finished(session: Session, storage, now: datetime | None = None) -> int:
    """Deletes finished requests past the retention, a batch at a time; returns how many.
    Safe with two instances: a request the other one deleted first is simply not found."""
    days = settings.retention_days()
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    purged = 0
    while True:
        found = list(session.scalars(sa.select(PartnerRequest)
                                     .where(PartnerRequest.status.not_in(OPEN_STATUSES),
                                            PartnerRequest.updated_at < cutoff)
                                     .order_by(PartnerRequest.id).limit(BATCH)))
        if not found:
            return purged
        delete_requests(session, found, storage)
        purged += len(found)
