"""Who may see and act on what, from the verified caller identity.

national admin: everything; caisse agent: partners under convention with
their caisse (any status) and those partners' accounts; gestionnaire:
their own partner's accounts; technicien: themselves.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.errors import NotAuthorized, NotFound
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, GESTIONNAIRE, TECHNICIEN
from services.accounts.models import Account, Convention, Partner


def partner_ids_of_caisse(session: Session, caisse_id: int) -> list[int]:
    return list(session.scalars(sa.select(Convention.partner_id).where(Convention.caisse_id == caisse_id).distinct()))


def visible_partner_ids(session: Session, actor: Account) -> list[int] | None:
    """None means all partners (national admin)."""
    if actor.profile == ADMIN_NATIONAL:
        return None
    if actor.profile == AGENT_CAISSE:
        return partner_ids_of_caisse(session, actor.caisse_id)
    return [actor.partner_id]


def by_id(session: Session, model, raw_id):
    """The row of ``model`` whose id the caller sent, or None: an id that is not a whole
    number (a list, a text, a huge value) names nothing, it is not an error of ours."""
    if isinstance(raw_id, bool) or not isinstance(raw_id, (int, str)):
        return None
    try:
        number = int(raw_id)
    except ValueError:
        return None
    return session.get(model, number) if 0 < number < 2**63 else None


def partner(session: Session, actor: Account, partner_id: int | None) -> Partner:
    """A partner the actor may see (their own when ``partner_id`` is None)."""
    partner_id = partner_id if partner_id is not None else actor.partner_id
    found = by_id(session, Partner, partner_id) if partner_id is not None else None
    visible = visible_partner_ids(session, actor)
    if found is None or (visible is not None and found.id not in visible):
        raise NotFound("Partenaire introuvable.")
    return found


def manageable_account(session: Session, actor: Account, account_id: int) -> Account:
    """An account the actor may act on: agents on their partners' accounts,
    gestionnaires on their partner's techniciens."""
    target = by_id(session, Account, account_id)
    if target is None:
        raise NotFound("Compte introuvable.")
    if actor.profile == ADMIN_NATIONAL:
        return target
    if actor.profile == AGENT_CAISSE and target.partner_id in partner_ids_of_caisse(session, actor.caisse_id):
        return target
    if actor.profile == GESTIONNAIRE and target.partner_id == actor.partner_id and target.profile == TECHNICIEN:
        return target
    raise NotAuthorized()
