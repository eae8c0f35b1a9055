"""The caisse's own staff: its agents, managed by the agents holding the role
« administrateur de caisse » (and by the national administrator, who creates a caisse's
first agent, made its administrateur).

An agent is invited like any account (single-use link) and enrols the second factor at
first login (services.accounts.second_factor: required of every agent). Creating,
inactivating an agent and granting or removing the role are sensitive actions
(services.accounts.reauthentication, checked by the service's entrypoints).

A caisse always keeps one active administrateur: removing the role or inactivating the
last one is refused, even when two administrateurs remove each other at the same moment —
every change that could lower the count first takes the caisse's row lock
(``_lock_caisse``: a row lock on PostgreSQL, the database's write lock on SQLite), then
counts, so the second waits for the first and sees its result.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.catalogue import INACTIVATION_REASONS, STAFF_INACTIVATION_REASONS
from contracts.errors import NotAuthorized, NotFound, RuleViolation, ValidationFailed
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE
from services.accounts import access, audit, row_locks
from services.accounts.authentication import issue_token
from services.accounts.email_change import unique_email
from services.accounts.habilitation import _inactivate, _person_fields, edit_person, table_row
from services.accounts.models import Account, Caisse, utcnow

LAST_ADMIN = ("C'est le dernier administrateur de caisse actif : donnez d'abord ce rôle à un autre agent "
              "de la caisse.")


def is_caisse_admin(account: Account) -> bool:
    return account.profile == AGENT_CAISSE and account.caisse_admin and account.status == "active"


def agent_row(account: Account) -> dict:
    return {**table_row(account), "caisse_admin": account.caisse_admin,
            "caisse_code": account.caisse.code if account.caisse else None}


def caisse_of(session: Session, actor: Account, caisse_code) -> Caisse:
    """The caisse whose staff the actor manages: the administrateur's own, any for the national admin."""
    if actor.profile == ADMIN_NATIONAL:
        caisse = session.scalars(sa.select(Caisse).where(Caisse.code == str(caisse_code or ""))).first()
        if caisse is None:
            raise NotFound("Caisse inconnue.")
        return caisse
    if not is_caisse_admin(actor):
        raise NotAuthorized("Réservé aux administrateurs de caisse.")
    if caisse_code not in (None, "", actor.caisse.code):
        raise NotFound("Caisse inconnue.")
    return actor.caisse


def agent_of(session: Session, actor: Account, account_id) -> Account:
    """An agent the actor manages: of the administrateur's caisse, of any caisse for the national admin."""
    target = access.by_id(session, Account, account_id)
    if target is None or target.profile != AGENT_CAISSE:
        raise NotFound("Agent introuvable.")
    if actor.profile != ADMIN_NATIONAL and (not is_caisse_admin(actor) or target.caisse_id != actor.caisse_id):
        raise NotFound("Agent introuvable.")
    return target


def listing(session: Session, caisse: Caisse) -> dict:
    agents = session.scalars(sa.select(Account).where(Account.caisse_id == caisse.id, Account.profile == AGENT_CAISSE)
                             .order_by(Account.status, Account.last_name, Account.first_name))
    return {"caisse": {"code": caisse.code, "name": caisse.name}, "rows": [agent_row(a) for a in agents],
            "reasons": {r: INACTIVATION_REASONS[r] for r in STAFF_INACTIVATION_REASONS}}


def _active_admins(session: Session, caisse_id: int, other_than: int | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(Account).where(
        Account.caisse_id == caisse_id, Account.profile == AGENT_CAISSE, Account.status == "active",
        Account.caisse_admin.is_(True))
    if other_than is not None:
        query = query.where(Account.id != other_than)
    return session.scalar(query)


def _lock_caisse(session: Session, caisse_id: int) -> None:
    """Serialise the changes that may lower the caisse's administrateurs: a no-op UPDATE of its row
    waits for (and then sees the result of) any other such change in progress."""
    row_locks.lock(session, Caisse.code, caisse_id)


def _keep_one_admin(session: Session, actor: Account, target: Account) -> None:
    """Under the caisse's lock: refuse if the target is the caisse's last active administrateur
    (or if the actor itself has just lost the role)."""
    _lock_caisse(session, target.caisse_id)
    session.refresh(target)
    session.refresh(actor)
    if actor.profile != ADMIN_NATIONAL and not is_caisse_admin(actor):
        session.rollback()
        raise NotAuthorized("Réservé aux administrateurs de caisse.")
    if target.caisse_admin and target.status == "active" and not _active_admins(session, target.caisse_id, target.id):
        session.rollback()
        raise RuleViolation(LAST_ADMIN)


def create(session: Session, actor: Account, caisse: Caisse, data: dict, emit: list) -> dict:
    """A new agent of the caisse, invited by email. The caisse's first agent (or the first while it has
    no active administrateur) is its administrateur; otherwise ``data["caisse_admin"]`` grants the role."""
    values = _person_fields(data, None)
    unique_email(session, values["email"], AGENT_CAISSE)
    make_admin = bool(data.get("caisse_admin")) or not _active_admins(session, caisse.id)
    account = Account(**values, profile=AGENT_CAISSE, caisse_id=caisse.id, caisse_admin=make_admin,
                      created_by_id=actor.id, created_by_name=actor.full_name)
    session.add(account)
    session.flush()
    account.caisse = caisse
    issue_token(session, account, "invitation", emit)
    audit.record(session, "account_created", actor=actor, target=account,
                 details="Agent de caisse" + (", administrateur de caisse" if make_admin else ""))
    session.commit()
    return agent_row(account)


def edit(session: Session, actor: Account, target: Account, data: dict, emit: list) -> dict:
    edit_person(session, actor, target, data, emit)
    return agent_row(target)


def set_admin(session: Session, actor: Account, target: Account, granted: bool) -> dict:
    if granted:
        if target.status != "active":
            raise RuleViolation("Ce compte est inactif : réactivez-le avant de lui donner ce rôle.")
        if target.caisse_admin:
            raise RuleViolation("Cet agent est déjà administrateur de caisse.")
    else:
        if not target.caisse_admin:
            raise RuleViolation("Cet agent n'est pas administrateur de caisse.")
        _keep_one_admin(session, actor, target)
    claimed = session.execute(sa.update(Account).where(Account.id == target.id, Account.caisse_admin.is_(not granted))
                              .values(caisse_admin=granted)).rowcount
    if claimed != 1:
        session.rollback()
        raise RuleViolation("Le rôle de cet agent vient d'être modifié : rechargez la page.")
    session.refresh(target)
    audit.record(session, "caisse_admin_granted" if granted else "caisse_admin_removed", actor=actor, target=target)
    session.commit()
    return agent_row(target)


def inactivate(session: Session, actor: Account, target: Account, reason: str, emit: list) -> dict:
    """The agent's sessions end at once (services.accounts.habilitation._inactivate)."""
    if reason not in STAFF_INACTIVATION_REASONS:
        raise ValidationFailed(None, {"reason": "Motif d'inactivation invalide."})
    if target.id == actor.id:
        raise RuleViolation("Vous ne pouvez pas inactiver votre propre compte.")
    if target.status != "active":
        raise RuleViolation("Ce compte est déjà inactif.")
    _keep_one_admin(session, actor, target)
    claimed = session.execute(sa.update(Account).where(Account.id == target.id, Account.status == "active")
                              .values(status="inactive")).rowcount
    if claimed != 1:
        session.rollback()
        raise RuleViolation("Ce compte est déjà inactif.")
    session.refresh(target)
    _inactivate(session, actor, target, reason, emit)
    session.commit()
    return agent_row(target)


def reactivate(session: Session, actor: Account, target: Account) -> dict:
    if target.status == "active":
        raise RuleViolation("Ce compte est déjà actif.")
    target.status, target.inactivated_at, target.inactivation_reason = "active", None, None
    target.activity_at, target.inactivity_warned_at = utcnow(), None
    audit.record(session, "account_reactivated", actor=actor, target=target)
    session.commit()
    return agent_row(target)
