"""The caisse's counts and weekly trends, kept with the requests (issue 17, point 2).

``request_tally`` holds, per caisse, week of filing (its Monday), kind and current status, how many
requests there are; ``request_status_tally`` the caisse's totals per status (six rows, whatever the weeks). Each submission adds one, each status change moves one, each deletion removes one,
in the change's own transaction (an atomic upsert: parallel workers add up). The agent's home page
then reads at most kinds x statuses rows a week, however many requests the caisse holds.
``request_open_day`` holds, per partner (and the caisse's total) and day of filing, how many requests are untreated now: the
statistics' overdue counts (``late``) add these rows up for the days wholly past the delay and count the
requests of the one day the delay ends in, so they read days of backlog, not requests (issue 17).
``rebuild`` recomputes all three from the requests (migrations 0016 and 0024, the bench's generator).
"""
from collections import Counter
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.requests import caisse_settings, counters
from services.requests.catalogue import UNTREATED_STATUSES
from services.requests.models import PartnerRequest, RequestOpenDay, RequestStatusTally, RequestTally


CAISSE_TOTAL = 0        # request_open_day's partner_id of the caisse's total row (the national page reads only those)


def week_of(moment: datetime | date) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def add(session: Session, request: PartnerRequest, status: str, delta: int) -> None:
    """``delta`` requests like ``request`` in ``status`` (in the caller's transaction)."""
    counters.bump(session, RequestTally, {"caisse_code": request.caisse_code, "week": week_of(request.created_at),
                                          "kind": request.kind, "status": status}, count=delta)
    counters.bump(session, RequestStatusTally, {"caisse_code": request.caisse_code, "status": status}, count=delta)


def moved(session: Session, request: PartnerRequest, from_status: str | None, to_status: str | None) -> None:
    """The request went from ``from_status`` (None: it is new) to ``to_status`` (None: it is deleted)."""
    if from_status == to_status:
        return
    if from_status:
        add(session, request, from_status, -1)
    if to_status:
        add(session, request, to_status, 1)
    untreated = (to_status in UNTREATED_STATUSES) - (from_status in UNTREATED_STATUSES)
    for partner in (request.partner_id, CAISSE_TOTAL) if untreated else ():
        counters.bump(session, RequestOpenDay, {"caisse_code": request.caisse_code, "partner_id": partner,
                                                "day": request.created_at.date()}, count=untreated)


def late(session: Session, days: int, caisses, by: str) -> dict:
    """Late requests (caisse_settings.late_clause) by ``by`` ("partner_id" or "caisse_code") in the caisses
    ``caisses(column)`` selects: the days wholly past the delay from request_open_day, the day the delay ends
    in from the requests themselves (a day's filings at most, through the queue's index)."""
    cutoff = caisse_settings.late_cutoff(days)
    counts = Counter()
    # By caisse: the caisses' totals only (caisses x days rows); by partner: every partner's but those.
    partners = RequestOpenDay.partner_id == CAISSE_TOTAL if by == "caisse_code" else RequestOpenDay.partner_id != CAISSE_TOTAL
    for model, count, where in (
            (RequestOpenDay, sa.func.sum(RequestOpenDay.count), sa.and_(partners, RequestOpenDay.day < cutoff.date())),
            (PartnerRequest, sa.func.count(), sa.and_(caisse_settings.late_clause(days),
                                                     PartnerRequest.created_at >= datetime.combine(cutoff.date(),
                                                                                                   time.min)))):
        group = getattr(model, by)
        counts.update(dict(session.execute(sa.select(group, count).where(caisses(model.caisse_code), where)
                                           .group_by(group)).all()))
    return {key: int(n) for key, n in counts.items() if n}


def by_status(session: Session, caisse_code: str) -> dict[str, int]:
    return dict(session.execute(sa.select(RequestStatusTally.status, RequestStatusTally.count)
                                .where(RequestStatusTally.caisse_code == caisse_code)).all())


def weeks(session: Session, caisse_code: str, first: date) -> list[tuple[date, str, str, int]]:
    """(week, kind, status, count) of the weeks from ``first`` on."""
    return [(_day(w), kind, status, count)
            for w, kind, status, count in session.execute(
                sa.select(RequestTally.week, RequestTally.kind, RequestTally.status, RequestTally.count)
                .where(RequestTally.caisse_code == caisse_code, RequestTally.week >= first,
                       RequestTally.count != 0))]


def rebuild(conn) -> None:
    """The three tables again from the requests."""
    rebuild_counts(conn)
    rebuild_backlog(conn)


def rebuild_counts(conn) -> None:
    """request_tally and request_status_tally (grouped by day in SQL, folded into weeks here)."""
    day = sa.func.date(PartnerRequest.created_at)
    folded: dict[tuple, int] = {}
    for caisse, created_on, kind, status, count in conn.execute(
            sa.select(PartnerRequest.caisse_code, day, PartnerRequest.kind, PartnerRequest.status, sa.func.count())
            .group_by(PartnerRequest.caisse_code, day, PartnerRequest.kind, PartnerRequest.status)):
        key = (caisse, week_of(_day(created_on)), kind, status)
        folded[key] = folded.get(key, 0) + count
    totals: dict[tuple, int] = {}
    for (caisse, _, _, status), count in folded.items():
        totals[caisse, status] = totals.get((caisse, status), 0) + count
    _replace(conn, RequestTally, [{"caisse_code": c, "week": w, "kind": k, "status": s, "count": n}
                                  for (c, w, k, s), n in folded.items()])
    _replace(conn, RequestStatusTally, [{"caisse_code": c, "status": s, "count": n} for (c, s), n in totals.items()])


def rebuild_backlog(conn) -> None:
    """request_open_day: the untreated requests by partner and day of filing."""
    day = sa.func.date(PartnerRequest.created_at)
    rows = Counter()
    for caisse, partner, filed_on, count in conn.execute(
            sa.select(PartnerRequest.caisse_code, PartnerRequest.partner_id, day, sa.func.count())
            .where(PartnerRequest.status.in_(UNTREATED_STATUSES))
            .group_by(PartnerRequest.caisse_code, PartnerRequest.partner_id, day)):
        for key in (partner, CAISSE_TOTAL):
            rows[caisse, key, _day(filed_on)] += count
    _replace(conn, RequestOpenDay, [{"caisse_code": c, "partner_id": p, "day": d, "count": n}
                                    for (c, p, d), n in rows.items()])


def _replace(conn, model, rows: list[dict]) -> None:
    conn.execute(sa.delete(model))
    for start in range(0, len(rows), 5000):
        conn.execute(sa.insert(model), rows[start:start + 5000])


def _day(value) -> date:
    """``date(created_at)`` as the database gives it (SQLite: text)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
