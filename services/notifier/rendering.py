"""French email templates: a subject, a plain-text body and an HTML body per kind."""
import os
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifier.outbox import Mail

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,       # a missing variable is a bug, not an empty string
    keep_trailing_newline=True,
)
PARIS = ZoneInfo("Europe/Paris")


def base_url() -> str:
    return os.environ.get("EP_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def _paris(iso_utc: str) -> datetime:
    """An ISO UTC moment ("...Z", "+00:00" or naive, which the contracts define as UTC) in Paris time."""
    moment = datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(PARIS)


def french_datetime(iso_utc: str) -> str:
    return _paris(iso_utc).strftime("%d/%m/%Y à %H:%M")


def french_date(iso_date: str) -> str:
    """"2026-12-01" -> "01/12/2026" (a calendar date: no time zone to convert)."""
    return date.fromisoformat(iso_date).strftime("%d/%m/%Y")


_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")


def french_datetime_long(iso_utc: str) -> str:
    """The moment written in full, Paris time: "mardi 1er décembre 2026 à 11:00"
    (French names from tables, not from the process locale)."""
    moment = _paris(iso_utc)
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{_DAYS[moment.weekday()]} {day} {_MONTHS[moment.month - 1]} {moment.year} à {moment:%H:%M}"


def render(kind: str, **context) -> tuple[str, str, str]:
    subject = _env.get_template(f"{kind}.subject.txt").render(**context).strip()
    return subject, _env.get_template(f"{kind}.txt").render(**context), _env.get_template(f"{kind}.html").render(**context)


def link(path: str) -> str:
    """An absolute link into the web front (read at render time: EP_BASE_URL)."""
    return f"{base_url()}{path}"


def mail(kind: str, key: str, person: dict, headers: dict | None = None, **context) -> Mail:
    """The email of ``kind`` to ``person`` (contracts.events recipient: email, names, and optionally
    account_id and caisses, which the delivery log keeps)."""
    subject, text, html = render(kind, first_name=person["first_name"], last_name=person["last_name"], **context)
    return Mail(key=key, kind=kind, recipient=person["email"], subject=subject, text=text, html=html,
                recipient_name=f"{person['first_name']} {person['last_name']}", account_id=person.get("account_id"),
                caisses=list(person.get("caisses") or []), headers=headers)


# What the delivery log calls each kind of email.
KIND_LABELS = {
    "account_invited": "Habilitation (création du compte)",
    "password_reset": "Réinitialisation du mot de passe",
    "password_changed": "Confirmation de changement de mot de passe",
    "second_factor_changed": "Double authentification modifiée",
    "password_renewal_reminder": "Rappel de renouvellement du mot de passe",
    "password_expired": "Mot de passe expiré",
    "account_inactivated": "Inactivation du compte",
    "fraud_inactivation": "Inactivation pour fraude, perte ou vol",
    "inactivity_warning": "Avertissement d'inactivité",
    "review_requested": "Revue des habilitations",
    "request_status_changed": "Suivi d'une demande",
    "late_requests_summary": "Demandes en retard",
    "maintenance_notice": "Annonce de maintenance",
    "newsletter": "Lettre d'information",
}
