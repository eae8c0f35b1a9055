"""Who sees which request, from the verified caller identity.

Partner users (technicien, gestionnaire) see their partner's requests made
under a convention with one of the caisses they still have access to, when that
convention opens « Historique »; without it a technicien still follows the requests
they filed themselves (the emails link to them). Caisse agents see the requests
their caisse processes, whatever the partner's conventions are today (an ended
convention leaves them in the queue and the archive). Nothing else, ever.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.errors import FeatureNotOpen, NotAuthorized, NotFound
from contracts.profiles import AGENT_CAISSE, PARTNER_USERS
from services.common import ids
from services.requests.models import PartnerRequest

HISTORY = "historique"


def caisse_codes(who: dict) -> list[str]:
    return [c["code"] for c in who.get("caisses") or []]


def features(who: dict, caisse_code: str) -> list[str]:
    for caisse in who.get("caisses") or []:
        if caisse["code"] == caisse_code:
            return caisse.get("features") or []
    return []


def open_caisses(who: dict, feature: str) -> list[str]:
    """The caisses whose convention with the caller's partner opens ``feature``."""
    return [c["code"] for c in who.get("caisses") or [] if feature in (c.get("features") or [])]


def require_feature(who: dict, caisse_code: str, feature: str) -> None:
    """A partner user reaches ``feature`` with that caisse only if their convention opens it."""
    if caisse_code not in caisse_codes(who):
        raise NotAuthorized("Votre structure n'a pas de convention active avec cette caisse.")
    if feature not in features(who, caisse_code):
        raise FeatureNotOpen(None, feature)


def history_caisses(who: dict, caisse_code: str | None = None) -> list[str]:
    """The caisses whose history a partner user may consult (one, when asked): refused when none."""
    if caisse_code:
        require_feature(who, caisse_code, HISTORY)
        return [caisse_code]
    opened = open_caisses(who, HISTORY)
    if not opened:
        raise FeatureNotOpen(None, HISTORY)
    return opened


# Who sees what, written once with its values as bound parameters: a statement built on it (the lists'
# statements, services.requests.history) is built once and run with each caller's ``visible_params``.
VISIBLE = {
    "partner": sa.and_(PartnerRequest.partner_id == sa.bindparam("scope_partner"),
                       PartnerRequest.convention_caisse_code.in_(sa.bindparam("scope_caisses", expanding=True)),
                       sa.or_(PartnerRequest.convention_caisse_code.in_(sa.bindparam("scope_history", expanding=True)),
                              PartnerRequest.created_by == sa.bindparam("scope_user"))),
    "caisse": PartnerRequest.caisse_code == sa.bindparam("scope_caisse"),
}


def visible_params(who: dict) -> dict:
    """The values of ``VISIBLE[side(who)]`` for ``who``."""
    if who["profile"] in PARTNER_USERS:
        return {"scope_partner": who["partner_id"], "scope_caisses": caisse_codes(who),
                "scope_history": open_caisses(who, HISTORY), "scope_user": who["id"]}
    if who["profile"] == AGENT_CAISSE:
        return {"scope_caisse": who["caisse_code"]}
    raise NotAuthorized()


def visible(who: dict):
    """A SQL condition selecting the requests ``who`` may see."""
    params = visible_params(who)
    return VISIBLE[side(who)].params(params)


def side(who: dict) -> str:
    return "partner" if who["profile"] in PARTNER_USERS else "caisse"


def get(session: Session, who: dict, request_id, lock=False) -> PartnerRequest:
    """The request if ``who`` may see it; the same NotFound whether it exists elsewhere or not."""
    request_id = ids.row_id(request_id)
    if request_id is None:
        raise NotFound("Demande introuvable.")
    query = sa.select(PartnerRequest).where(PartnerRequest.id == request_id, visible(who))
    if lock:
        query = query.with_for_update()
    found = session.scalars(query).first()
    if found is None:
        raise NotFound("Demande introuvable.")
    return found
