"""Nothing typed is lost when a session expires (issue 15, point 7).

A technicien's session may end while they fill a long request form. The web, which held that session,
then sends what was typed (never the files) here, under its own signed service identity, for the
account the session belonged to; after signing in again, the form page takes it back. The draft stays
in the requests service, where the requests themselves live: never in the browser, the web's cookie or
the accounts service. One draft per account and form, without NIR (a field holding one is not kept),
deleted when taken back, when the request is filed, or EP_DRAFT_HOURS after (purge_expired).
"""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.errors import NotAuthorized, ValidationFailed
from services.common import ids
from services.requests import settings
from services.requests.caisse_settings import CAISSE_CODE
from services.requests.catalogue import INSURED_FIELDS, KIND_FIELDS, KINDS
from services.requests.models import Draft, utcnow
from contracts.nir import find_nir

INSURED_PREFIX = "insured."
# Longer than any field of the catalogue allows: the form shows what was typed, the submission judges it.
VALUE_MAX = 10_000
LIST_MAX = 20
KEEPER = "web"          # the one service identity that vouches for an expired session's account


def _form_fields(kind: str) -> set[str]:
    return {INSURED_PREFIX + f["name"] for f in INSURED_FIELDS} | {f["name"] for f in KIND_FIELDS[kind]}


def _form(kind, caisse_code) -> tuple[str, str]:
    kind, caisse_code = str(kind or ""), str(caisse_code or "")
    if kind not in KINDS or not CAISSE_CODE.fullmatch(caisse_code):
        raise ValidationFailed(None, {"kind": "Formulaire inconnu."})
    return kind, caisse_code


def _clean(kind: str, typed) -> tuple[dict, int]:
    """(the form's own fields, as texts or lists of texts, none holding a NIR; how many were left out for one)."""
    allowed, kept, dropped = _form_fields(kind), {}, 0
    for name, value in (typed.items() if isinstance(typed, dict) else ()):
        if name not in allowed:
            continue
        value = [str(v)[:VALUE_MAX] for v in value[:LIST_MAX]] if isinstance(value, list) else str(value)[:VALUE_MAX]
        if any(find_nir(v) for v in (value if isinstance(value, list) else [value])):
            dropped += 1
            continue
        if value not in ("", []):
            kept[name] = value
    return kept, dropped


def keep(session: Session, who: dict, account_id, kind, caisse_code, typed) -> dict:
    """The web keeps the typed input of ``account_id``'s form (its expired session's account): the one
    draft of that account and form, replaced. {kept: field count, without_nir: fields left out}."""
    if who.get("profile") != "service" or who.get("service") != KEEPER:
        raise NotAuthorized()
    if not isinstance(account_id, int) or ids.row_id(account_id) is None:
        raise ValidationFailed(None, {"account_id": "Compte inconnu."})
    kind, caisse_code = _form(kind, caisse_code)
    fields, dropped = _clean(kind, typed)
    session.execute(sa.delete(Draft).where(Draft.account_id == account_id, Draft.kind == kind,
                                           Draft.caisse_code == caisse_code))
    if fields:
        now = utcnow()
        session.add(Draft(account_id=account_id, kind=kind, caisse_code=caisse_code, fields=fields, created_at=now,
                          expires_at=now + timedelta(hours=settings.draft_hours())))
    session.commit()
    return {"kept": len(fields), "without_nir": dropped}


def take(session: Session, who: dict, kind, caisse_code) -> dict | None:
    """The caller's own draft of this form, deleted as it is given back ({fields}); None if
    there is none (or it expired)."""
    kind, caisse_code = _form(kind, caisse_code)
    found = session.scalars(sa.select(Draft).where(Draft.account_id == who["id"], Draft.kind == kind,
                                                   Draft.caisse_code == caisse_code)).first()
    if found is None:
        return None
    fields = None if found.expires_at <= utcnow() else dict(found.fields)
    session.delete(found)
    session.commit()
    return None if fields is None else {"fields": fields}


def discard(session: Session, who: dict, kind, caisse_code) -> None:
    """The request is filed: its form's draft goes."""
    session.execute(sa.delete(Draft).where(Draft.account_id == who["id"], Draft.kind == str(kind),
                                           Draft.caisse_code == str(caisse_code)))
    session.commit()


def purge_expired(session: Session, now=None) -> int:
    """Drafts nobody came back for within EP_DRAFT_HOURS; safe with two instances (a plain DELETE)."""
    purged = session.execute(sa.delete(Draft).where(Draft.expires_at <= (now or utcnow()))).rowcount
    session.commit()
    return purged or 0
