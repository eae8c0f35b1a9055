"""Reading requests: the partner's history and the caisse's queue, filtered and
keyset-paginated (no OFFSET scans), and the caisse's counts."""
import base64
import functools
import json
from collections import namedtuple
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.errors import ValidationFailed
from services.common import ids
from services.requests import caisse_settings, name_search, scope, tally
from services.requests.catalogue import KINDS, OPEN_STATUSES, STATUSES, UNTREATED_STATUSES
from services.requests.models import PartnerRequest, utcnow

PAGE_SIZE = 25
TREND_WEEKS = 8
LATE_COUNTED = 99       # « 99+ » beyond: a count that stops reading


# What a list's row shows (as_row), read as plain rows: the details' JSON and the insured's other fields stay
# unread, and no ORM object is built per row (a page of 25 cost the ORM some 2,500 Python calls).
LISTED = tuple(PartnerRequest.__table__.c[c] for c in (
    "id", "reference", "kind", "status", "insured_last_name", "insured_first_name", "caisse_code", "created_at",
    "updated_at", "created_by_name"))
# Such a row with its fields read as attributes at a tuple's speed (a SQLAlchemy Row looks each name up: as_row
# spent more on that than on the row itself).
_Listed = namedtuple("_Listed", [column.name for column in LISTED])


def as_row(request: PartnerRequest, late_after_days: int | None = None) -> dict:
    late = caisse_settings.is_late(request, late_after_days)
    return {
        "id": request.id,
        "reference": request.reference,
        "kind": request.kind,
        "kind_label": KINDS.get(request.kind, request.kind),
        "status": request.status,
        "status_label": STATUSES.get(request.status, request.status),
        "insured_name": f"{request.insured_last_name.upper()} {request.insured_first_name}".strip(),
        "caisse_code": request.caisse_code,
        "created_at": request.created_at.isoformat(),
        "updated_at": request.updated_at.isoformat(),
        "created_by_name": request.created_by_name,
        "late": late,
    }


def _cursor(request: PartnerRequest) -> str:
    return base64.urlsafe_b64encode(json.dumps([request.created_at.isoformat(), request.id]).encode()).decode()


def _after(cursor: str):
    try:
        created_at, request_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        after = datetime.fromisoformat(created_at), ids.row_id(request_id)
    except (ValueError, TypeError):
        after = None
    if after is None or after[1] is None:
        raise ValidationFailed(None, {"page": "Page invalide."})
    return after


# The filters a list may use, each a condition on one bound value named as its key. A list's statement is built
# once per set of filters in use (_listing) and run with the values: building it cost more than running it
# (1.33 -> 0.63 ms for a page of 25 on the bench's machine).
FILTERS = {
    "in_caisses": PartnerRequest.convention_caisse_code.in_(sa.bindparam("in_caisses", expanding=True)),
    "kind": PartnerRequest.kind == sa.bindparam("kind"),
    "status": PartnerRequest.status == sa.bindparam("status"),
    "statuses": PartnerRequest.status.in_(sa.bindparam("statuses", expanding=True)),
    "created_from": PartnerRequest.created_at >= sa.bindparam("created_from"),
    "created_before": PartnerRequest.created_at < sa.bindparam("created_before"),
    "late_cutoff": caisse_settings.late_before(sa.bindparam("late_cutoff")),
}
NEWEST_FIRST = (PartnerRequest.created_at.desc(), PartnerRequest.id.desc())


def search(session: Session, who: dict, filters: dict | None = None, cursor: str | None = None,
           limit: int = PAGE_SIZE, consulted: bool = True) -> dict:
    """Newest first. filters: q (insured name), kind, status, date_from, date_to, caisse (partner side), late.
    ``consulted``: the partner's « Historique » (refused without it); otherwise only what ``scope.visible``
    shows (a technicien's own requests, for the home page)."""
    filters = filters or {}
    values = scope.visible_params(who)
    side = scope.side(who)
    if consulted and side == "partner":
        values["in_caisses"] = scope.history_caisses(who, str(filters["caisse"]) if filters.get("caisse") else None)
    elif filters.get("caisse"):
        values["in_caisses"] = [str(filters["caisse"])]
    if filters.get("kind") in KINDS:
        values["kind"] = filters["kind"]
    if filters.get("status") in STATUSES:
        values["status"] = filters["status"]
    elif filters.get("status") == "open":
        values["statuses"] = list(OPEN_STATUSES)
    for key, name in (("date_from", "created_from"), ("date_to", "created_before")):
        if filters.get(key):
            try:
                day = date.fromisoformat(str(filters[key])) + timedelta(days=1 if key == "date_to" else 0)
            except (ValueError, OverflowError):        # 9999-12-31 has no next day
                raise ValidationFailed(None, {key: "Date invalide."})
            values[name] = datetime.combine(day, datetime.min.time())
    delay = caisse_settings.late_after_days(session, who["caisse_code"]) if side == "caisse" else None
    if filters.get("late") and delay is not None:
        values["late_cutoff"] = caisse_settings.late_cutoff(delay)
    after = _after(cursor) if cursor else None
    limit = max(1, min(int(limit), 100))
    in_use = tuple(name for name in FILTERS if name in values)
    if filters.get("q") and (words := name_search.typed_words(filters["q"])):
        # Walked from the name index in page order, within the caller's scope key (the rows still pass scope.visible).
        rows = name_search.page(session, _listing(side, in_use), values, words, *(("caisse_code", who["caisse_code"]) if side == "caisse"
                                                                 else ("partner_id", who["partner_id"])), after, limit + 1)
    else:
        if after:
            values["after_created_at"], values["after_id"] = after
        rows = session.connection().execute(_page(side, in_use, bool(after), limit + 1), values).all()
    more = len(rows) > limit
    rows = [_Listed(*row) for row in rows[:limit]]
    return {"rows": [as_row(r, delay) for r in rows], "next": _cursor(rows[-1]) if more else None}


@functools.lru_cache(maxsize=64)
def _listing(side: str, filters: tuple[str, ...]) -> sa.Select:
    """The rows ``side`` may see that pass ``filters`` (names of FILTERS), their values bound at execution."""
    return sa.select(*LISTED).where(scope.VISIBLE[side], *(FILTERS[name] for name in filters))


@functools.lru_cache(maxsize=256)
def _page(side: str, filters: tuple[str, ...], after: bool, count: int) -> sa.Select:
    """``count`` rows of that list, newest first, older than the bound keyset (after_created_at, after_id)."""
    query = _listing(side, filters)
    if after:
        query = query.where(sa.tuple_(PartnerRequest.created_at, PartnerRequest.id)
                            < sa.tuple_(sa.bindparam("after_created_at"), sa.bindparam("after_id")))
    return query.order_by(*NEWEST_FIRST).limit(count)


def caisse_overview(session: Session, who: dict) -> dict:
    """Counts by status (services.requests.tally), the late ones (counted up to LATE_COUNTED) and the
    oldest untreated requests, for the agent's home page: the same few rows read at any volume."""
    code = who["caisse_code"]
    counts = tally.by_status(session, code)
    delay = caisse_settings.late_after_days(session, code)
    untreated = (scope.visible(who), PartnerRequest.status.in_(UNTREATED_STATUSES))
    oldest = session.scalars(sa.select(PartnerRequest).where(*untreated)
                             .order_by(PartnerRequest.created_at, PartnerRequest.id).limit(5))
    late = session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(PartnerRequest.id).where(scope.visible(who), caisse_settings.late_clause(delay))
        .limit(LATE_COUNTED + 1).subquery()))
    return {"counts": [{"status": s, "label": label, "count": counts.get(s, 0)} for s, label in STATUSES.items()],
            "oldest": [as_row(r, delay) for r in oldest], "late": min(late, LATE_COUNTED),
            "late_more": late > LATE_COUNTED, "late_after_days": delay,
            "weeks": weekly(session, who), "kinds": KINDS, "statuses": STATUSES}


def weekly(session: Session, who: dict, weeks: int = TREND_WEEKS, today: date | None = None) -> list[dict]:
    """Requests filed per week (Monday first) over the last ``weeks`` weeks, by kind and by
    current status, oldest week first: the caisse's tally rows of those weeks (services.requests.tally)."""
    today = today or utcnow().date()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    buckets = [{"start": (first + timedelta(weeks=n)).isoformat(), "total": 0,
                "by_kind": dict.fromkeys(KINDS, 0), "by_status": dict.fromkeys(STATUSES, 0)} for n in range(weeks)]
    for week, kind, status, count in tally.weeks(session, who["caisse_code"], first):
        bucket = buckets[min((week - first).days // 7, weeks - 1)]
        bucket["total"] += count
        if kind in KINDS:
            bucket["by_kind"][kind] += count
        if status in STATUSES:
            bucket["by_status"][status] += count
    return buckets
