"""French email templates: a subject, a plain-text body and an HTML body per kind."""
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifier import settings
from services.notifier.outbox import Mail

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,       # a missing variable is a bug, not an empty string
    keep_trailing_newline=True,
)


def render(kind: str, **context) -> tuple[str, str, str]:
    subject = _env.get_template(f"{kind}.subject.txt").render(**context).strip()
    return subject, _env.get_template(f"{kind}.txt").render(**context), _env.get_template(f"{kind}.html").render(**context)


def link(path: str) -> str:
    """An absolute link into the web front (read at render time: EP_BASE_URL)."""
    return f"{settings.base_url()}{path}"


def mail(kind: str, key: str, person: dict, headers: dict | None = None, **context) -> Mail:
    """The email of ``kind`` to ``person`` (contracts.events recipient: email, names, and optionally
    account_id and caisses, which the delivery log keeps, and contacts: the caisses' local referents, which
    the emails that name someone to turn to show, templates/_contacts.*)."""
    subject, text, html = render(kind, first_name=person["first_name"], last_name=person["last_name"],
                                 contacts=list(person.get("contacts") or []), **context)
    return Mail(key=key, kind=kind, recipient=person["email"], subject=subject, text=text, html=html,
                recipient_name=f"{person['first_name']} {person['last_name']}", account_id=person.get("account_id"),
                caisses=list(person.get("caisses") or []), headers=headers)


def caused_by(person: dict, caisse_code: str | None) -> dict:
    """``person`` as the delivery log files an email one caisse's action caused (its maintenance, its agent's
    decision): under that caisse only. Filed under every caisse the person belongs to, it showed the agents
    of a caisse whose convention with the partner has not started, or is a mere proposal, what another caisse
    did and to whom. ``caisse_code`` None (a national action): the person's caisses."""
    return person if caisse_code is None else {**person, "caisses": [str(caisse_code)]}


# What the delivery log calls each kind of email.
KIND_LABELS = {
    "account_invited": "Habilitation (création du compte)",
    "password_reset": "Réinitialisation du mot de passe",
    "password_changed": "Confirmation de changement de mot de passe",
    "second_factor_changed": "Double authentification modifiée",
    "email_changed": "Changement d'adresse (à l'ancienne adresse)",
    "email_changed_new": "Changement d'adresse (à la nouvelle adresse)",
    "password_renewal_reminder": "Rappel de renouvellement du mot de passe",
    "password_expired": "Mot de passe expiré",
    "account_inactivated": "Inactivation du compte",
    "convention_proposed": "Proposition de convention",
    "convention_answered": "Réponse à une proposition de convention",
    "convention_ending": "Fin de convention",
    "partner_access_changed": "Accès du partenaire suspendu ou rétabli",
    "account_request_step": "Suivi d'une demande à la caisse",
    "fraud_inactivation": "Inactivation pour fraude, perte ou vol",
    "inactivity_warning": "Avertissement d'inactivité",
    "review_requested": "Revue des habilitations",
    "request_status_changed": "Suivi d'une demande",
    "late_requests_summary": "Demandes en retard",
    "maintenance_notice": "Annonce de maintenance",
    "newsletter": "Lettre d'information",
    "support_report_filed": "Signalement adressé aux référents",
    "support_report_updated": "Suivi d'un signalement",
}
