"""Maintenance windows: a national admin schedules them for every caisse or one, a caisse
agent for their own caisse. Users in scope are emailed ahead of time (EP_MAINTENANCE_LEAD_HOURS)
and again when the window changes or is cancelled (one email per version of the window);
the web asks ``current`` for its banner and its maintenance page."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts import dates, nir
from contracts.errors import NotAuthorized, NotFound, RuleViolation, ValidationFailed
from services.common import ids
from services.notifier import fanout, rendering, settings
from services.notifier.models import Maintenance, utcnow

MESSAGE_MAX = 1000
# A window is announced for the coming year at most, and its dates stay within a year of today:
# beyond, it is a typing slip (9999-12-31), not a plan, and far dates overflow the conversions.
HORIZON = timedelta(days=366)


def _iso(moment: datetime) -> str:
    return moment.isoformat() + "Z"


def _moment(value, field: str, label: str, errors: dict) -> datetime | None:
    """ISO 8601; with an offset it is converted, without one it is UTC (as in contracts)."""
    try:
        moment = datetime.fromisoformat(str(value or "").strip().replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    except ValueError:
        errors[field] = f"{label} : date et heure attendues (AAAA-MM-JJTHH:MM)."
        return None
    except OverflowError:               # an offset that pushes it out of the calendar: out of the horizon too
        moment = None
    if moment is None or abs(moment - utcnow()) > HORIZON:
        errors[field] = f"{label} : une date dans l'année qui vient est attendue."
        return None
    return moment.replace(second=0, microsecond=0)


def _fields(data: dict, now: datetime) -> dict:
    errors: dict = {}
    starts_at = _moment(data.get("starts_at"), "starts_at", "Début", errors)
    ends_at = _moment(data.get("ends_at"), "ends_at", "Fin", errors)
    message = str(data.get("message") or "").strip()
    if nir.find_nir(message):                  # read by every user in scope: never a NIR (contracts.nir)
        errors["message"] = nir.MESSAGE
    elif not message:
        errors["message"] = "Message : ce champ est obligatoire."
    elif len(message) > MESSAGE_MAX:
        errors["message"] = f"Message : {MESSAGE_MAX} caractères au maximum."
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = "La fin doit suivre le début."
    elif ends_at and ends_at <= now:
        errors["ends_at"] = "Cette fenêtre est déjà passée."
    if errors:
        raise ValidationFailed(None, errors)
    return {"starts_at": starts_at, "ends_at": ends_at, "message": message}


def _may_edit(who: dict, window: Maintenance) -> bool:
    return who["profile"] == "admin_national" or (window.caisse_code is not None
                                                  and window.caisse_code == who.get("caisse_code"))


def row(window: Maintenance, who: dict | None = None, now: datetime | None = None) -> dict:
    now = now or utcnow()
    return {"id": window.id, "caisse_code": window.caisse_code,
            "scope_label": "Toutes les caisses" if window.caisse_code is None else f"Caisse {window.caisse_code}",
            "starts_at": _iso(window.starts_at), "ends_at": _iso(window.ends_at),
            "starts_at_label": dates.datetime_fr_long(_iso(window.starts_at)),
            "ends_at_label": dates.datetime_fr_long(_iso(window.ends_at)),
            "message": window.message, "status": window.status, "version": window.version,
            "ongoing": window.status == "scheduled" and window.starts_at <= now < window.ends_at,
            "notified": window.notified_version == window.version,
            "editable": bool(who) and _may_edit(who, window) and window.status == "scheduled"
                        and window.ends_at > now}


def schedule(session: Session, who: dict, data: dict) -> dict:
    now = utcnow()
    fields = _fields(data, now)
    if who["profile"] == "admin_national":
        caisse_code = str(data["caisse_code"]) if data.get("caisse_code") else None      # None: every caisse
    else:
        caisse_code = who.get("caisse_code")
        if not caisse_code or data.get("caisse_code") not in (None, "", caisse_code):
            raise NotAuthorized("Vous ne pouvez annoncer une maintenance que pour votre caisse.")
    window = Maintenance(caisse_code=caisse_code, created_by_id=who.get("id"),
                         created_by_name=f"{who.get('first_name') or ''} {who.get('last_name') or ''}".strip(),
                         **fields)
    session.add(window)
    session.commit()
    return row(window, who, now)


def _editable(session: Session, who: dict, maintenance_id) -> Maintenance:
    window = ids.row(session, Maintenance, maintenance_id)
    if window is None or not (who["profile"] == "admin_national" or window.caisse_code in (None, who.get("caisse_code"))):
        raise NotFound("Maintenance introuvable.")
    if not _may_edit(who, window):
        raise NotAuthorized("Seul l'administrateur national modifie une maintenance nationale.")
    if window.status != "scheduled" or window.ends_at <= utcnow():
        raise RuleViolation("Cette maintenance est annulée ou terminée : elle ne peut plus être modifiée.")
    return window


def update(session: Session, who: dict, maintenance_id, data: dict) -> dict:
    window = _editable(session, who, maintenance_id)
    fields = _fields(data, utcnow())
    if any(getattr(window, name) != value for name, value in fields.items()):
        for name, value in fields.items():
            setattr(window, name, value)
        window.version += 1                 # users already told are told again
        window.updated_at = utcnow()
        session.commit()
    return row(window, who)


def cancel(session: Session, who: dict, maintenance_id) -> dict:
    window = _editable(session, who, maintenance_id)
    window.status, window.updated_at = "cancelled", utcnow()
    window.version += 1
    session.commit()
    return row(window, who)


def listing(session: Session, who: dict, include_past: bool = False) -> list[dict]:
    """Admin: every window; agent: their caisse's and the national ones. Soonest first."""
    now = utcnow()
    query = sa.select(Maintenance)
    if who["profile"] != "admin_national":
        query = query.where(sa.or_(Maintenance.caisse_code.is_(None), Maintenance.caisse_code == who.get("caisse_code")))
    if not include_past:
        query = query.where(Maintenance.ends_at > now)
    return [row(w, who, now) for w in session.scalars(query.order_by(Maintenance.starts_at, Maintenance.id).limit(200))]


def current(session: Session, caisse_code: str | None, now: datetime | None = None) -> list[dict]:
    """Windows to announce now (starting within the lead time) or running, for this caisse
    (national ones included; ``None``: national ones only). For anyone, even anonymous."""
    now = now or utcnow()
    scope = Maintenance.caisse_code.is_(None)
    if caisse_code:
        scope = sa.or_(scope, Maintenance.caisse_code == str(caisse_code))
    windows = session.scalars(sa.select(Maintenance).where(
        scope, Maintenance.status == "scheduled", Maintenance.ends_at > now,
        Maintenance.starts_at <= now + settings.maintenance_lead()).order_by(Maintenance.starts_at))
    return [{k: v for k, v in row(w, None, now).items() if k not in ("notified", "editable", "version")}
            for w in windows]


# --- the notices --------------------------------------------------------------------------

def _due(session: Session, now: datetime) -> list[int]:
    """Windows whose current version is not told yet: first notice once within the lead time;
    a change or a cancellation at once, but only if users were told of an earlier version."""
    return list(session.scalars(sa.select(Maintenance.id).where(
        Maintenance.version != sa.func.coalesce(Maintenance.notified_version, 0), Maintenance.ends_at > now,
        sa.or_(Maintenance.notice_lease_until.is_(None), Maintenance.notice_lease_until < now),
        sa.or_(Maintenance.notified_version.is_not(None),
               sa.and_(Maintenance.status == "scheduled", Maintenance.starts_at <= now + settings.maintenance_lead())))))


def _notice(window: Maintenance, version: int, changed: bool):
    context = {"scope_label": "toutes les caisses" if window.caisse_code is None else None,
               "starts_at": dates.datetime_fr_long(_iso(window.starts_at)),
               "ends_at": dates.datetime_fr_long(_iso(window.ends_at)),
               "message": window.message, "cancelled": window.status == "cancelled", "changed": changed,
               "link": rendering.link("/")}

    def plan(people):
        # Keyed by address: a person holding two profiles (same email) is told once.
        planned = {f"maintenance:{window.id}:v{version}:{person['email'].lower()}": person for person in people}
        return [(key, lambda key=key, person=rendering.caused_by(person, window.caisse_code):
                 rendering.mail("maintenance_notice", key, person, **context)) for key, person in planned.items()]

    return plan


def send_notices(session: Session, users_of, now: datetime | None = None) -> int:
    """``users_of(caisse_code, after_id)``: accounts' ``active_users`` (None: every caisse)."""
    now = now or utcnow()
    queued = 0
    for window_id in _due(session, now):
        if not fanout.claim(session, Maintenance, window_id, Maintenance.notice_lease_until, now):
            continue
        window = session.get(Maintenance, window_id)
        version, changed = window.version, window.notified_version is not None
        try:
            queued += fanout.queue_for_people(session, lambda after_id: users_of(window.caisse_code, after_id),
                                              _notice(window, version, changed))
            # Told: unless the window changed meanwhile (then its new version is due next round).
            session.execute(sa.update(Maintenance).where(Maintenance.id == window_id, Maintenance.version == version)
                            .values(notified_version=version))
        finally:
            session.execute(sa.update(Maintenance).where(Maintenance.id == window_id).values(notice_lease_until=None))
            session.commit()
    return queued
