"""Who may see and act on what, from the verified caller identity.

national admin: everything; caisse agent: partners under a convention *in force* with their
caisse (accepted, started, not ended; a caisse that suspended the partner's access to itself
still manages its accounts, to lift the suspension or inactivate one) and those partners'
accounts; gestionnaire: their own partner's accounts; technicien: themselves. A proposal
(a SIRET already known), a refused or an ended convention gives the caisse no right.
"""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.errors import NotAuthorized, NotFound, RuleViolation
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, GESTIONNAIRE, TECHNICIEN
from services.accounts.models import Account, Convention, Partner
from services.common import ids


def in_force(today: date | None = None):
    """SQL condition: the convention gives rights today. A convention with tacit renewal and no
    notice never lapses, even before the sweep has moved its end date a year on."""
    today = today or date.today()
    return sa.and_(Convention.status == "active", Convention.start_date <= today,
                   sa.or_(Convention.end_date.is_(None), Convention.end_date >= today,
                          sa.and_(Convention.tacit_renewal.is_(True), Convention.notice_given_at.is_(None))))


def open_to_partner(today: date | None = None):
    """SQL condition: the partner's users reach that caisse (in force, and not suspended by it)."""
    return sa.and_(in_force(today), Convention.suspended_at.is_(None))


def partner_ids_of_caisse(session: Session, caisse_id: int) -> list[int]:
    return list(session.scalars(sa.select(Convention.partner_id).where(Convention.caisse_id == caisse_id, in_force())
                                .distinct()))


def visible_partner_ids(session: Session, actor: Account) -> list[int] | None:
    """None means all partners (national admin)."""
    if actor.profile == ADMIN_NATIONAL:
        return None
    if actor.profile == AGENT_CAISSE:
        return partner_ids_of_caisse(session, actor.caisse_id)
    return [actor.partner_id]


def by_id(session: Session, model, raw_id):
    """The row of ``model`` whose id the caller sent, or None: an id that is not a whole
    number (a list, a text, a huge value) names nothing (services.common.ids), it is not an error of ours."""
    return ids.row(session, model, raw_id)


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


def own_convention(session: Session, actor: Account, convention_id, statuses=("active",)) -> Convention:
    """A convention of the agent's caisse (any, for the national admin) in one of ``statuses``."""
    convention = by_id(session, Convention, convention_id)
    if convention is None or (actor.profile != ADMIN_NATIONAL and convention.caisse_id != actor.caisse_id):
        raise NotFound("Convention introuvable.")
    if convention.status not in statuses:
        raise RuleViolation({"ended": "Cette convention est déjà terminée.", "refused": "Cette proposition a été refusée.",
                             "proposed": "Cette proposition attend la réponse de la structure."}[convention.status])
    return convention
