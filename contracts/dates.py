"""French dates and the Paris time zone. The services store and exchange UTC (an ISO
string without offset is UTC); people read Paris wall-clock time, written the French way."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")


def in_paris(moment: datetime | str) -> datetime:
    """A UTC moment (datetime, naive meaning UTC, or ISO string with "Z", an offset or none) in Paris time."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(PARIS)


def _parsed(value) -> date | datetime | None:
    """A calendar date stays a date (no time zone to apply); a moment goes to Paris time."""
    if isinstance(value, datetime):
        return in_paris(value)
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text) if len(text) <= 10 else in_paris(text)
    except ValueError:
        return None


def date_fr(value, empty: str = "") -> str:
    """"2026-12-01" or a moment -> "01/12/2026"; ``empty`` for nothing or something unreadable."""
    moment = _parsed(value) if value else None
    return moment.strftime("%d/%m/%Y") if moment else empty


def datetime_fr(value, empty: str = "") -> str:
    """A UTC moment -> "01/12/2026 11:00" (Paris): tables and CSV exports."""
    moment = _parsed(value) if value else None
    return moment.strftime("%d/%m/%Y %H:%M") if isinstance(moment, datetime) else \
        (moment.strftime("%d/%m/%Y") if moment else empty)


def datetime_fr_at(value) -> str:
    """A UTC moment -> "01/12/2026 à 11:00" (Paris): sentences and emails."""
    return in_paris(value).strftime("%d/%m/%Y à %H:%M")


def datetime_fr_long(value) -> str:
    """A UTC moment in full, Paris time: "mardi 1er décembre 2026 à 11:00"
    (French names from tables, not from the process locale)."""
    moment = in_paris(value)
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{_DAYS[moment.weekday()]} {day} {_MONTHS[moment.month - 1]} {moment.year} à {moment:%H:%M}"


def paris_wall_clock_to_utc(local: str) -> str | None:
    """<input type=datetime-local> (Paris wall-clock time) -> ISO UTC; None when unreadable, or when
    the shift to UTC leaves the calendar (0001-01-01T00:00 is in year 0 in UTC: OverflowError)."""
    try:
        moment = datetime.fromisoformat(local.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=PARIS)
        return moment.astimezone(timezone.utc).isoformat()
    except (ValueError, AttributeError, OverflowError):
        return None


def utc_to_paris_wall_clock(value) -> str:
    """A UTC moment -> the value of an <input type=datetime-local>, Paris time."""
    return in_paris(value).strftime("%Y-%m-%dT%H:%M")
