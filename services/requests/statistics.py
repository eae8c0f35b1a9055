"""Statistics of the requests (issue 18, point 6) and the caisse's exports (point 7).

Counts are kept in two small tables written in the transaction that files or first answers a request
(``on_filed``, ``on_answered``): requests filed and answered per caisse, partner, kind and month
(``RequestMonthStat``; partner 0 is the caisse's total, the only rows the national page reads), and the
delays of the first answers as a histogram per caisse, kind and month (``RequestDelayStat``), from which
the median and the 90th percentile are read. The page reads at most a few thousand of these rows whatever
the number of requests. They are kept counts: erasing a person's requests or the retention purge removes
the requests, not the number of requests filed and answered in a past month (no personal data in them).

Overdue requests (untreated past the caisse's delay) are a count of today, from the untreated requests
kept per partner and day of filing (services.requests.tally.late): days of backlog are read, not requests.
"""
from collections import Counter, defaultdict
from datetime import date, datetime

import sqlalchemy as sa

from contracts.errors import NotAuthorized, NotFound
from contracts.nir import find_nir
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE
from services.common import ids
from services.requests import caisse_settings, counters, history, scope, tally
from services.requests.catalogue import KINDS, STATUSES
from services.requests.models import (CaisseSetting, PartnerRequest, RequestDelayStat, RequestEvent, RequestMonthStat,
                                      utcnow)

ANSWERED = ("answered", "closed", "not_admissible")     # the caisse's first answer, whichever it is
MONTHS_SHOWN, MONTHS_MAX = 12, 36
EXPORT_MAX = 5000                                        # rows of one queue export, newest first
REBUILD_BATCH = 20000
HOUR_WIDE_UNDER, DAY_WIDE_UNDER, LAST_BUCKET = 48, 60 * 24, 365 * 24
NIR_HIDDEN = "[numéro masqué]"
ALL_CAISSES = ""               # the delay histograms' national rows (caisse codes are three digits)


# --- writing, with the request ----------------------------------------------------------------------

def month_of(at: datetime) -> str:
    return at.strftime("%Y-%m")


def bucket_of(hours: float) -> int:
    """The histogram bucket of a delay: its lower edge in hours (1 h wide under 2 days, 1 day under 60 days,
    1 week beyond, everything past a year in the last one)."""
    hours = max(0, int(hours))
    if hours < HOUR_WIDE_UNDER:
        return hours
    if hours < DAY_WIDE_UNDER:
        return hours // 24 * 24
    return min(hours // 168 * 168, LAST_BUCKET)


def bucket_width(bucket: int) -> int:
    return 1 if bucket < HOUR_WIDE_UNDER else 24 if bucket < DAY_WIDE_UNDER else 168


def _dialect(db) -> str:
    bind = db if isinstance(db, sa.Connection) else db.get_bind()
    return bind.dialect.name


def _count_month(db, caisse_code: str, month: str, partner_id: int, kind: str, **increments) -> None:
    for partner in (partner_id, 0):                      # the partner's row and the caisse's total
        counters.bump(db, RequestMonthStat, {"caisse_code": caisse_code, "month": month, "partner_id": partner, "kind": kind},
              **increments)


def on_filed(session, request: PartnerRequest) -> None:
    _count_month(session, request.caisse_code, month_of(request.created_at), request.partner_id, request.kind,
                 filed=1)


def on_status(session, request: PartnerRequest, to_status: str | None, at: datetime | None = None) -> None:
    """Called with every status change: the first answer is counted, with its delay, once."""
    if to_status not in ANSWERED or request.answered_at is not None:
        return
    at = at or utcnow()
    request.answered_at = at
    month = month_of(at)
    _count_month(session, request.caisse_code, month, request.partner_id, request.kind, answered=1)
    bucket = bucket_of((at - request.created_at).total_seconds() / 3600)
    for caisse in (request.caisse_code, ALL_CAISSES):        # the caisse's histogram and the nation's
        counters.bump(session, RequestDelayStat, {"caisse_code": caisse, "month": month, "kind": request.kind,
                                          "bucket": bucket}, answered=1)


def rebuild(db) -> None:
    """Both tables computed again from the requests (the migration's backfill, the demo data, the bench's
    generated databases): first answers from the timelines where not known, then counts in id batches."""
    requests, events = PartnerRequest.__table__, RequestEvent.__table__
    first_answer = (sa.select(sa.func.min(events.c.at))
                    .where(events.c.request_id == requests.c.id, events.c.to_status.in_(ANSWERED)).scalar_subquery())
    db.execute(sa.update(requests).where(requests.c.answered_at.is_(None),
                                         sa.exists().where(events.c.request_id == requests.c.id,
                                                           events.c.to_status.in_(ANSWERED)))
               .values(answered_at=first_answer))
    months, delays = Counter(), Counter()
    last = 0
    while True:
        batch = db.execute(sa.select(requests.c.id, requests.c.caisse_code, requests.c.partner_id, requests.c.kind,
                                     requests.c.created_at, requests.c.answered_at)
                           .where(requests.c.id > last).order_by(requests.c.id).limit(REBUILD_BATCH)).all()
        if not batch:
            break
        for r in batch:
            for partner in (r.partner_id, 0):
                months[(r.caisse_code, month_of(r.created_at), partner, r.kind, "filed")] += 1
                if r.answered_at is not None:
                    months[(r.caisse_code, month_of(r.answered_at), partner, r.kind, "answered")] += 1
            if r.answered_at is not None:
                bucket = bucket_of((r.answered_at - r.created_at).total_seconds() / 3600)
                for caisse in (r.caisse_code, ALL_CAISSES):
                    delays[(caisse, month_of(r.answered_at), r.kind, bucket)] += 1
        last = batch[-1].id
    db.execute(sa.delete(RequestMonthStat.__table__))
    db.execute(sa.delete(RequestDelayStat.__table__))
    rows = defaultdict(lambda: {"filed": 0, "answered": 0})
    for (caisse, month, partner, kind, measure), n in months.items():
        rows[(caisse, month, partner, kind)][measure] = n
    _insert(db, RequestMonthStat, [{"caisse_code": c, "month": m, "partner_id": p, "kind": k, **v}
                                   for (c, m, p, k), v in rows.items()])
    _insert(db, RequestDelayStat, [{"caisse_code": c, "month": m, "kind": k, "bucket": b, "answered": n}
                                   for (c, m, k, b), n in delays.items()])
    if _dialect(db) == "postgresql":
        # Both tables were just emptied and filled: until autovacuum gets to them, PostgreSQL's planner would
        # read them as they were (by a full scan: 15 ms a query at 200,000 requests instead of 2).
        db.execute(sa.text("ANALYZE request_month_stat, request_delay_stat, partner_request"))


def _insert(db, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), REBUILD_BATCH):
        db.execute(sa.insert(model.__table__), rows[start:start + REBUILD_BATCH])


# --- reading: the statistics page ------------------------------------------------------------------

def percentile(histogram: dict, share: float) -> float | None:
    """Hours at ``share`` (0.5: the median) of a {bucket: count} histogram, interpolated in its bucket."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = share * total, 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        if seen + count >= rank:
            return round(bucket + bucket_width(bucket) * (rank - seen) / count, 1)
        seen += count
    return None


def _months(count: int, today: date) -> list[str]:
    year, month = today.year, today.month
    shown = []
    for _ in range(count):
        shown.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return shown[::-1]


def _months_asked(months) -> int:
    try:
        return max(1, min(int(months), MONTHS_MAX))
    except (TypeError, ValueError):
        return MONTHS_SHOWN


def _delays(histogram: dict) -> dict:
    return {"median_hours": percentile(histogram, 0.5), "p90_hours": percentile(histogram, 0.9)}


def _overdue(session, who: dict, national: bool) -> dict:
    """Untreated requests past their caisse's delay, today: by caisse (national) or by partner (agent)."""
    if not national:
        delay = caisse_settings.late_after_days(session, who["caisse_code"])
        return tally.late(session, delay, lambda caisse: caisse == who["caisse_code"], "partner_id")
    # One grouped count per distinct delay (most caisses keep the default), not one per caisse.
    delays = defaultdict(set)
    for code, days in session.execute(sa.select(CaisseSetting.caisse_code, CaisseSetting.late_after_days)).all():
        delays[days].add(code)
    default = caisse_settings.late_after_days(session, "")
    named = set().union(*delays.values()) if delays else set()
    late = {}
    for days in set(delays) | {default}:
        def codes(caisse, days=days):
            return caisse.in_(delays[days]) if days != default else \
                sa.or_(caisse.in_(delays[days]), caisse.not_in(named))
        late.update(tally.late(session, days, codes, "caisse_code"))
    return late


def request_statistics(session, who: dict, months=MONTHS_SHOWN, names=None, today: date | None = None) -> dict:
    """The caisse's figures (agent: by partner) or the nation's (national administrator: by caisse) over the
    last ``months`` months (this one included). ``names(ids)`` -> {id: name} for the groups (None: unknown)."""
    national = who["profile"] == ADMIN_NATIONAL
    if not national and who["profile"] != AGENT_CAISSE:
        raise NotAuthorized()
    shown = _months(_months_asked(months), today or utcnow().date())
    m, d = RequestMonthStat, RequestDelayStat
    group = m.caisse_code if national else m.partner_id
    mine = sa.and_(m.month >= shown[0], m.month <= shown[-1],
                   m.partner_id == 0 if national else sa.and_(m.caisse_code == who["caisse_code"], m.partner_id != 0))
    histogram = sa.and_(d.month >= shown[0], d.month <= shown[-1],
                        d.caisse_code == (ALL_CAISSES if national else who["caisse_code"]))
    filed, answered = sa.func.sum(m.filed), sa.func.sum(m.answered)
    # Summed by the database along each axis: a few hundred rows come back, whatever the caisses and partners.
    by_month = {month: {"month": month, "filed": 0, "answered": 0, "by_kind": dict.fromkeys(KINDS, 0)}
                for month in shown}
    by_kind = {kind: {"kind": kind, "label": label, "filed": 0, "answered": 0} for kind, label in KINDS.items()}
    for month, kind, n_filed, n_answered in session.execute(
            sa.select(m.month, m.kind, filed, answered).where(mine).group_by(m.month, m.kind)).all():
        by_month[month]["filed"] += int(n_filed)
        by_month[month]["answered"] += int(n_answered)
        if kind in KINDS:
            by_month[month]["by_kind"][kind] += int(n_filed)
            by_kind[kind]["filed"] += int(n_filed)
            by_kind[kind]["answered"] += int(n_answered)
    groups = defaultdict(lambda: {"filed": 0, "answered": 0, "overdue": 0})
    for key, n_filed, n_answered in session.execute(sa.select(group, filed, answered).where(mine).group_by(group)):
        groups[key].update(filed=int(n_filed), answered=int(n_answered))
    histograms = {"month": defaultdict(Counter), "kind": defaultdict(Counter), "all": Counter()}
    for axis, column in (("month", d.month), ("kind", d.kind)):
        for key, bucket, count in session.execute(sa.select(column, d.bucket, sa.func.sum(d.answered))
                                                  .where(histogram).group_by(column, d.bucket)):
            histograms[axis][key][bucket] += int(count)
            if axis == "month":
                histograms["all"][bucket] += int(count)
    overdue = _overdue(session, who, national)
    for key, count in overdue.items():
        groups[key]["overdue"] = count
    known = (names or (lambda ids: {}))(sorted(groups, key=str)) or {}
    group_rows = sorted(({"id": key, "name": known.get(str(key)) or known.get(key), **values}
                         for key, values in groups.items()), key=lambda g: (-g["filed"], str(g["name"] or g["id"])))
    return {
        "national": national, "months": shown, "kinds": KINDS,
        "by_month": [{**row, **_delays(histograms["month"][row["month"]])} for row in by_month.values()],
        "by_kind": [{**row, **_delays(histograms["kind"][row["kind"]])} for row in by_kind.values()],
        "groups": group_rows,
        "total": {"filed": sum(r["filed"] for r in by_month.values()),
                  "answered": sum(r["answered"] for r in by_month.values()),
                  "overdue": sum(overdue.values()), **_delays(histograms["all"])},
        "late_after_days": None if national else caisse_settings.late_after_days(session, who["caisse_code"]),
    }


# --- the caisse's exports (issue 18, point 7) -------------------------------------------------------

def export_queue(session, who: dict, filters: dict) -> dict:
    """The agent's queue with its filters, as the queue reads it (``history.search``: same filters, same
    scope), page after page, newest first, at most ``EXPORT_MAX`` rows."""
    if who["profile"] != AGENT_CAISSE:
        raise NotAuthorized()
    rows, cursor = [], None
    while len(rows) < EXPORT_MAX:
        page = history.search(session, who, filters, cursor, limit=100)
        rows += page["rows"]
        cursor = page["next"]
        if cursor is None:
            break
    return {"rows": rows[:EXPORT_MAX], "truncated": cursor is not None, "limit": EXPORT_MAX,
            "statuses": STATUSES}


def _no_nir(value):
    """Nothing NIR-shaped leaves for an archive, even if it came in before the guard knew its shape."""
    if isinstance(value, str):
        return NIR_HIDDEN if find_nir(value) else value
    if isinstance(value, list):
        return [_no_nir(v) for v in value]
    if isinstance(value, dict):
        return {k: _no_nir(v) for k, v in value.items()}
    return value


def archive(session, who: dict, request_id) -> dict:
    """One request with its timeline for the caisse's archive: an agent of the caisse that processes it
    (``scope.get``), or the national administrator; files listed (name, size, direction), never their content."""
    if who["profile"] == ADMIN_NATIONAL:
        found = ids.row(session, PartnerRequest, request_id)
        if found is None:
            raise NotFound("Demande introuvable.")
    elif who["profile"] == AGENT_CAISSE:
        found = scope.get(session, who, request_id)
    else:
        raise NotAuthorized()
    from services.requests.lifecycle import detail      # lifecycle counts through this module

    shown = detail(session, who, found)
    for key in ("actions", "portal_delivery"):
        shown.pop(key, None)
    for line in shown["timeline"]:
        line["attachments"] = [{"filename": a["filename"], "size": a["size"], "direction": a["direction"]}
                               for a in line["attachments"]]
    shown["answered_at"] = found.answered_at.isoformat() if found.answered_at else None
    return _no_nir(shown)
