"""The caisse's counts and weekly trends, kept with the requests (issue 17, point 2).

``request_tally`` holds, per caisse, week of filing (its Monday), kind and current status, how many
requests there are; ``request_status_tally`` the caisse's totals per status (six rows, whatever the weeks). Each submission adds one, each status change moves one, each deletion removes one,
in the change's own transaction (an atomic upsert: parallel workers add up). The agent's home page
then reads at most kinds x statuses rows a week, however many requests the caisse holds. ``rebuild``
recomputes it from the requests (migration 0016, the bench's generator).
"""
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.requests.models import PartnerRequest, RequestStatusTally, RequestTally


def week_of(moment: datetime | date) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def add(session: Session, request: PartnerRequest, status: str, delta: int) -> None:
    """``delta`` requests like ``request`` in ``status`` (in the caller's transaction)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for model, keys in ((RequestTally, {"week": week_of(request.created_at), "kind": request.kind}),
                        (RequestStatusTally, {})):
        insert = dialect.insert(model).values(caisse_code=request.caisse_code, status=status, count=delta, **keys)
        session.execute(insert.on_conflict_do_update(index_elements=["caisse_code", *keys, "status"],
                                                     set_={"count": model.count + delta}))


def moved(session: Session, request: PartnerRequest, from_status: str | None, to_status: str | None) -> None:
    """The request went from ``from_status`` (None: it is new) to ``to_status`` (None: it is deleted)."""
    if from_status == to_status:
        return
    if from_status:
        add(session, request, from_status, -1)
    if to_status:
        add(session, request, to_status, 1)


def by_status(session: Session, caisse_code: str) -> dict[str, int]:
    return dict(session.execute(sa.select(RequestStatusTally.status, RequestStatusTally.count)
                                .where(RequestStatusTally.caisse_code == caisse_code)).all())


def weeks(session: Session, caisse_code: str, first: date) -> list[tuple[date, str, str, int]]:
    """(week, kind, status, count) of the weeks from ``first`` on."""
    return [(w if isinstance(w, date) else date.fromisoformat(str(w)[:10]), kind, status, count)
            for w, kind, status, count in session.execute(
                sa.select(RequestTally.week, RequestTally.kind, RequestTally.status, RequestTally.count)
                .where(RequestTally.caisse_code == caisse_code, RequestTally.week >= first,
                       RequestTally.count != 0))]


def rebuild(conn) -> None:
    """The whole table again from the requests (grouped by day in SQL, folded into weeks here)."""
    day = sa.func.date(PartnerRequest.created_at)
    folded: dict[tuple, int] = {}
    for caisse, created_on, kind, status, count in conn.execute(
            sa.select(PartnerRequest.caisse_code, day, PartnerRequest.kind, PartnerRequest.status, sa.func.count())
            .group_by(PartnerRequest.caisse_code, day, PartnerRequest.kind, PartnerRequest.status)):
        created_on = created_on if isinstance(created_on, date) else date.fromisoformat(str(created_on)[:10])
        key = (caisse, week_of(created_on), kind, status)
        folded[key] = folded.get(key, 0) + count
    totals: dict[tuple, int] = {}
    for (caisse, _, _, status), count in folded.items():
        totals[caisse, status] = totals.get((caisse, status), 0) + count
    for model, rows in ((RequestTally, [{"caisse_code": c, "week": w, "kind": k, "status": s, "count": n}
                                        for (c, w, k, s), n in folded.items()]),
                        (RequestStatusTally, [{"caisse_code": c, "status": s, "count": n}
                                              for (c, s), n in totals.items()])):
        conn.execute(sa.delete(model))
        for start in range(0, len(rows), 5000):
            conn.execute(sa.insert(model), rows[start:start + 5000])
