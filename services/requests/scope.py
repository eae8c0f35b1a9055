"""Who sees which request, from the verified caller identity.

Partner users (technicien, gestionnaire) see their partner's requests made
under a convention with one of the caisses they still have access to; caisse
agents see the requests their caisse processes. Nothing else, ever.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.errors import NotAuthorized, NotFound
from contracts.profiles import AGENT_CAISSE, PARTNER_USERS
from services.requests.models import PartnerRequest

def caisse_codes(who: dict) -> list[str]:
    return [c["code"] for c in who.get("caisses") or []]


def features(who: dict, caisse_code: str) -> list[str]:
    for caisse in who.get("caisses") or []:
        if caisse["code"] == caisse_code:
            return caisse.get("features") or []
    return []


def visible(who: dict):
    """A SQL condition selecting the requests ``who`` may see."""
    if who["profile"] in PARTNER_USERS:
        return sa.and_(PartnerRequest.partner_id == who["partner_id"],
                       PartnerRequest.convention_caisse_code.in_(caisse_codes(who)))
    if who["profile"] == AGENT_CAISSE:
        return PartnerRequest.caisse_code == who["caisse_code"]
    raise NotAuthorized()


def side(who: dict) -> str:
    return "partner" if who["profile"] in PARTNER_USERS else "caisse"


def get(session: Session, who: dict, request_id, lock=False) -> PartnerRequest:
    """The request if ``who`` may see it; the same NotFound whether it exists elsewhere or not."""
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        raise NotFound("Demande introuvable.")
    query = sa.select(PartnerRequest).where(PartnerRequest.id == request_id, visible(who))
    if lock:
        query = query.with_for_update()
    found = session.scalars(query).first()
    if found is None:
        raise NotFound("Demande introuvable.")
    return found
