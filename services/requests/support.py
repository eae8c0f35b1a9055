"""« Signaler un dysfonctionnement » (issue 15, point 3): what every signed-in person reports, where it goes,
who answers it and who sees it.

Routing: a partner's user files to the caisse of one of their conventions in force (chosen among them when
there are several), an agent to their own caisse, the national administrator straight to national support.
The caisse's local referents are emailed (their addresses asked of accounts when the report is filed); the
caisse's agents answer in the portal, close it, or escalate it to national support (the national
administrator's queue), which answers or closes it. Each step is a dated line of the timeline the reporter
follows in « Mes signalements »; the reporter is emailed at each step taken by someone else, unless their
notification preferences (those of the requests) turn that kind of email off.

Who sees a report (``visible``): its reporter; a gestionnaire, their structure's; the agents of its caisse
(never another caisse's); the national administrator, the national ones. Free text refuses a NIR.
"""
import base64
import uuid
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts import dates, events
from contracts.errors import NotAuthorized, NotFound, RuleViolation, ValidationFailed
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, GESTIONNAIRE, PARTNER_USERS
from services.common import ids
from services.requests import settings, turns, validation
from services.requests.lifecycle import accept_upload, author_name
from services.requests.models import NotificationPreference, SupportEvent, SupportReport, utcnow

CATEGORIES = {"dysfonctionnement": "Dysfonctionnement", "accessibilite": "Accessibilité",
              "question": "Question d'utilisation"}
STATUSES = {"submitted": "Transmis à la caisse", "answered": "Répondu", "escalated": "Transmis au support national",
            "closed": "Clos"}
OPEN = ("submitted", "answered", "escalated")
# action -> (label, who takes it: reporter | handler, statuses it is taken from, status after (None: same))
ACTIONS = {
    "answer": ("Répondre", "handler", OPEN, "answered"),
    "escalate": ("Transmettre au support national", "handler", ("submitted", "answered"), "escalated"),
    "close": ("Clore le signalement", "handler", OPEN, "closed"),
    "message": ("Compléter mon signalement", "reporter", OPEN, None),
}
DESCRIPTION_MAX = 4000
PAGE_MAX = 300
PAGE_SIZE = 50
OLDEST_DAY = timedelta(days=365)


# --- who, where --------------------------------------------------------------------------------

def destinations(who: dict) -> list[dict]:
    """Where this person's report may go: [{"code", "name"}]; "" is national support."""
    if who["profile"] == ADMIN_NATIONAL:
        return [{"code": "", "name": "Support national"}]
    if who["profile"] == AGENT_CAISSE:
        return [{"code": who.get("caisse_code") or "", "name": who.get("caisse_name") or ""}]
    if who["profile"] in PARTNER_USERS:
        return [{"code": c["code"], "name": c.get("name") or c["code"]} for c in who.get("caisses") or []]
    raise NotAuthorized()


def form(who: dict) -> dict:
    """What the form shows: the categories and, for a partner under several conventions, the caisses."""
    return {"categories": CATEGORIES, "destinations": destinations(who)}


def visible(who: dict):
    """A SQL condition selecting the reports ``who`` may see."""
    mine = SupportReport.reporter_id == who["id"]
    if who["profile"] == GESTIONNAIRE and who.get("partner_id"):
        return sa.or_(mine, SupportReport.partner_id == who["partner_id"])
    if who["profile"] == AGENT_CAISSE:
        return sa.or_(mine, SupportReport.caisse_code == (who.get("caisse_code") or "-"))
    if who["profile"] == ADMIN_NATIONAL:
        return sa.or_(mine, SupportReport.level == "national")
    return mine


def handles(who: dict, report: SupportReport) -> bool:
    """The caisse's agents handle its reports until escalated; national support the national ones."""
    if who["profile"] == AGENT_CAISSE:
        return report.level == "caisse" and report.caisse_code == who.get("caisse_code")
    return who["profile"] == ADMIN_NATIONAL and report.level == "national"


def find(session: Session, who: dict, report_id, lock: bool = False) -> SupportReport:
    """The report if ``who`` may see it: the same NotFound whether it exists elsewhere or not."""
    report_id = ids.row_id(report_id)
    if report_id is None:
        raise NotFound("Signalement introuvable.")
    query = sa.select(SupportReport).where(SupportReport.id == report_id, visible(who))
    found = session.scalars(query.with_for_update() if lock else query).first()
    if found is None:
        raise NotFound("Signalement introuvable.")
    return found


# --- filing ------------------------------------------------------------------------------------

def _when(data: dict, errors: dict) -> datetime | None:
    """The day (required, within the last year, not in the future) and the time (optional) it happened."""
    try:
        day = date.fromisoformat(str(data.get("happened_on") or ""))
    except ValueError:
        errors["happened_on"] = "Date : ce champ est obligatoire (JJ/MM/AAAA)."
        return None
    moment = str(data.get("happened_time") or "").strip()
    try:
        at = time.fromisoformat(moment) if moment else time(0, 0)
    except ValueError:
        errors["happened_time"] = "Heure : format HH:MM attendu."
        return None
    today = dates.in_paris(datetime.now(timezone.utc)).date()     # the day as the person lives it
    if day > today:
        errors["happened_on"] = "Date : elle ne peut pas être dans le futur."
    elif day < today - OLDEST_DAY:
        errors["happened_on"] = "Date : un signalement porte sur l'année écoulée."
    if "happened_on" in errors:
        return None                       # 0001-01-01 at Paris is before the calendar's first UTC day
    utc = datetime.fromisoformat(dates.paris_wall_clock_to_utc(datetime.combine(day, at).isoformat()))
    return utc.replace(tzinfo=None)                                  # stored in UTC, like every moment


def _text(data: dict, field: str, errors: dict, required: bool, max_length: int) -> str:
    try:
        return validation.validate_free_text(data.get(field), field, required=required, max_length=max_length)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        return ""


def clean(who: dict, data: dict) -> dict:
    """The report's fields, or ValidationFailed with a French message on each wrong field."""
    errors = {}
    category = str(data.get("category") or "")
    if category not in CATEGORIES:
        errors["category"] = "Nature : choisissez dysfonctionnement, accessibilité ou question d'utilisation."
    description = _text(data, "description", errors, True, DESCRIPTION_MAX)
    page = _text(data, "page", errors, False, PAGE_MAX)
    happened_at = _when(data, errors)
    places = destinations(who)
    chosen = str(data.get("caisse_code") or "")
    if len(places) == 1 and not chosen:
        chosen = places[0]["code"]
    place = next((p for p in places if p["code"] == chosen), None)
    if not places:
        errors["caisse_code"] = "Votre structure n'a plus de convention en vigueur : contactez votre caisse."
    elif place is None:
        errors["caisse_code"] = "Caisse : choisissez la caisse concernée."
    if errors:
        raise ValidationFailed(None, errors)
    return {"category": category, "description": description, "page": page, "happened_at": happened_at,
            "place": place}


def _limits() -> list[tuple[timedelta, int, str]]:
    """(rolling window, reports a person may file in it, the refusal): each report emails the caisse's referents."""
    per_minute, per_hour = settings.support_reports_per_minute(), settings.support_reports_per_hour()
    return [(timedelta(minutes=1), per_minute, f"Vous venez d'envoyer {per_minute} signalements en moins d'une "
             "minute : patientez un instant avant d'en envoyer un autre."),
            (timedelta(hours=1), per_hour, f"Vous avez déjà envoyé {per_hour} signalements dans l'heure : réessayez "
             "plus tard, ou complétez un signalement en cours depuis « Mes signalements ».")]


def within_limits(session: Session, who: dict, lock: bool = False) -> None:
    """RuleViolation when ``who`` filed as many reports as a window allows. ``lock``: in the transaction that
    inserts the report, the person's turn is taken first (services.requests.turns): of parallel filings, each
    counts those committed before it, never more than the limit."""
    if lock:
        turns.take(session, f"support:{who['id']}")
    now = utcnow()
    for window, most, refusal in _limits():
        filed = session.scalar(sa.select(sa.func.count()).select_from(SupportReport).where(
            SupportReport.reporter_id == who["id"], SupportReport.created_at > now - window))
        if filed >= most:
            raise RuleViolation(refusal)


def _screenshot(raw, scanner, storage) -> dict | None:
    return accept_upload(raw, scanner, storage, "capture") if raw else None


def _reference(report: SupportReport) -> str:
    return f"SUP-{report.created_at.year}-{report.id:06d}"


def side(who: dict, report: SupportReport) -> str:
    if who["id"] == report.reporter_id and not handles(who, report):
        return "reporter"
    return "national" if who["profile"] == ADMIN_NATIONAL else "caisse"


def _line(session: Session, report: SupportReport, who: dict, action: str, message: str = "",
          to_status: str | None = None) -> None:
    session.add(SupportEvent(report_id=report.id, author_id=who.get("id"), author_name=author_name(who),
                             side=side(who, report), action=action, to_status=to_status, message=message))


def file(session: Session, who: dict, data: dict, raw_file, scanner, storage, referents_of, emit: list) -> dict:
    """Files the report; ``referents_of(caisse_code)``: the caisse's local referents (accounts), emailed."""
    fields = clean(who, dict(data or {}))
    within_limits(session, who)             # early, read only: no call to accounts nor scan for a refusal
    place = fields.pop("place")
    referents = referents_of(place["code"]) if place["code"] else []
    shot = _screenshot(raw_file, scanner, storage)
    try:
        within_limits(session, who, lock=True)
        report = SupportReport(
            reference=f"SUP-TMP-{uuid.uuid4().hex[:12]}", level="caisse" if place["code"] else "national",
            caisse_code=place["code"], caisse_name=place["name"], status="submitted" if place["code"] else "escalated",
            reporter_id=who["id"], reporter_profile=who["profile"], reporter_name=author_name(who),
            reporter_email=who.get("email") or "", partner_id=who.get("partner_id"),
            partner_name=who.get("partner_name") or "", **fields)
        if shot:
            report.screenshot_key, report.screenshot_filename = shot["storage_key"], shot["filename"]
            report.screenshot_type, report.screenshot_size = shot["content_type"], shot["size"]
            report.screenshot_sha256 = shot["sha256"]
        session.add(report)
        session.flush()
        report.reference = _reference(report)
        _line(session, report, who, "filed", to_status=report.status)
        if referents:
            emit.append((events.SUPPORT_REPORT_FILED, {
                "event_id": str(uuid.uuid4()), "recipients": referents, "reference": report.reference,
                "category_label": CATEGORIES[report.category], "caisse_name": report.caisse_name,
                "organisation": report.partner_name or report.caisse_name, "report_id": report.id}))
        session.commit()
    except Exception:
        session.rollback()
        if shot:
            storage.delete(shot["storage_key"])
        raise
    return detail(session, who, report)


# --- handling ----------------------------------------------------------------------------------

def _role(who: dict, report: SupportReport) -> str | None:
    """handler (the caisse's agents, national support once escalated), reporter, or None: one who only reads."""
    return "handler" if handles(who, report) else "reporter" if who["id"] == report.reporter_id else None


def _allowed(who: dict, report: SupportReport) -> list[str]:
    role = _role(who, report)
    return [a for a, (_, actor, start, _) in ACTIONS.items() if actor == role and report.status in start]


def act(session: Session, who: dict, report_id, action: str, message: str, emit: list) -> dict:
    if action not in ACTIONS:
        raise ValidationFailed(None, {"action": "Action inconnue."})
    report = find(session, who, report_id, lock=True)
    label, actor, _, to_status = ACTIONS[action]
    if _role(who, report) is None:
        raise NotAuthorized("Vous n'êtes pas autorisé à agir sur ce signalement : il est traité par une autre "
                            "équipe, ou vous le suivez seulement.")
    if action not in _allowed(who, report):
        raise RuleViolation(f"Action « {label} » impossible : le signalement est "
                            f"« {STATUSES[report.status].lower()} ».")
    message = validation.validate_free_text(message, "message", required=action != "close",
                                            max_length=DESCRIPTION_MAX)
    _line(session, report, who, action, message, to_status)
    if to_status:
        report.status = to_status
    if action == "escalate":
        report.level = "national"
    report.updated_at = utcnow()
    notice = _notice(session, report, who, action, message)
    if notice:
        emit.append(notice)
    session.commit()
    return detail(session, who, report)


def _notice(session: Session, report: SupportReport, who: dict, action: str, message: str):
    """The reporter's email when someone else took a step; their preferences (requests' ones) apply."""
    if who["id"] == report.reporter_id or not report.reporter_email:
        return None
    preference = session.get(NotificationPreference, report.reporter_id)
    kind = "messages" if action == "answer" else "status_changes"
    if preference is not None and not getattr(preference, kind):
        return None
    first, _, last = report.reporter_name.partition(" ")
    return (events.SUPPORT_REPORT_UPDATED, {
        "event_id": str(uuid.uuid4()), "recipients": [{"email": report.reporter_email, "first_name": first,
                                                       "last_name": last, "account_id": report.reporter_id}],
        "reference": report.reference, "status_label": STATUSES[report.status], "answered": action == "answer",
        "report_id": report.id})


def screenshot(session: Session, who: dict, report_id, storage) -> dict:
    report = find(session, who, report_id)
    if not report.screenshot_key:
        raise NotFound("Ce signalement n'a pas de capture d'écran.")
    return {"filename": report.screenshot_filename, "content_type": report.screenshot_type,
            "content_b64": base64.b64encode(storage.get(report.screenshot_key)).decode()}


# --- reading -----------------------------------------------------------------------------------

def row(report: SupportReport) -> dict:
    return {"id": report.id, "reference": report.reference, "category": report.category,
            "category_label": CATEGORIES.get(report.category, report.category), "status": report.status,
            "status_label": STATUSES.get(report.status, report.status), "level": report.level,
            "caisse_code": report.caisse_code, "caisse_name": report.caisse_name or "Support national",
            "reporter_name": report.reporter_name, "partner_name": report.partner_name,
            "created_at": report.created_at.isoformat(), "updated_at": report.updated_at.isoformat()}


def detail(session: Session, who: dict, report: SupportReport) -> dict:
    timeline = [{"at": e.at.isoformat(), "author": e.author_name, "side": e.side, "action": e.action,
                 "status_label": STATUSES.get(e.to_status or "", ""), "message": e.message}
                for e in session.scalars(sa.select(SupportEvent).where(SupportEvent.report_id == report.id)
                                         .order_by(SupportEvent.id))]
    return {**row(report), "description": report.description, "page": report.page,
            "happened_at": report.happened_at.isoformat(), "reporter_profile": report.reporter_profile,
            "screenshot": {"filename": report.screenshot_filename, "size": report.screenshot_size}
            if report.screenshot_key else None,
            "timeline": timeline, "handler": handles(who, report),
            "actions": [{"action": a, "label": ACTIONS[a][0], "message_required": a != "close"}
                        for a in _allowed(who, report)]}


def mine(session: Session, who: dict) -> list[dict]:
    """« Mes signalements »: the reporter's own (a gestionnaire's: the structure's), newest first."""
    query = sa.select(SupportReport).where(SupportReport.reporter_id == who["id"])
    if who["profile"] == GESTIONNAIRE and who.get("partner_id"):
        query = sa.select(SupportReport).where(sa.or_(SupportReport.reporter_id == who["id"],
                                                      SupportReport.partner_id == who["partner_id"]))
    return [row(r) for r in session.scalars(query.order_by(SupportReport.id.desc()).limit(PAGE_SIZE))]


def queue(session: Session, who: dict, status: str | None = None) -> dict:
    """The handler's queue: a caisse's reports (its agents), the national ones (the national administrator).
    ``status``: one of STATUSES, "open" (default) or "all"."""
    if who["profile"] == AGENT_CAISSE:
        query = sa.select(SupportReport).where(SupportReport.caisse_code == (who.get("caisse_code") or "-"))
    elif who["profile"] == ADMIN_NATIONAL:
        query = sa.select(SupportReport).where(SupportReport.level == "national")
    else:
        raise NotAuthorized()
    status = status or "open"
    if status in STATUSES:
        query = query.where(SupportReport.status == status)
    elif status == "open":
        query = query.where(SupportReport.status.in_(OPEN))
    rows = [row(r) for r in session.scalars(query.order_by(SupportReport.id.desc()).limit(PAGE_SIZE))]
    return {"rows": rows, "statuses": STATUSES, "status": status}
