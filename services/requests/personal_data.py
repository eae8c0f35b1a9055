"""An insured person's rights over their data (GDPR articles 15 and 17), exercised
through the caisse: an agent finds the person's requests in their caisse by
name and birth date, exports them, then erases them.

Erasure removes the requests, their timelines and their stored files; what is
kept is the fact (who erased how many requests, when), never the person."""
import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.errors import ValidationFailed
from services.requests import name_search, scope, tally, validation
from services.requests.catalogue import KINDS, STATUSES
from services.requests.lifecycle import author_name, insured_key
from services.requests.models import Attachment, PartnerRequest, PersonalDataRecord, RequestEvent, utcnow

IDENTITY = ("last_name", "first_name", "birth_date")


def _key(person) -> str:
    person = person if isinstance(person, dict) else {}
    errors = {f: validation.field_problem(None, f"insured.{f}", person.get(f)) for f in IDENTITY}
    errors = {f: message for f, message in errors.items() if message}
    if errors:
        raise ValidationFailed(None, errors)
    return insured_key({f: str(person[f]).strip() for f in IDENTITY})


def _requests(session: Session, who: dict, person) -> list[PartnerRequest]:
    query = sa.select(PartnerRequest).where(scope.visible(who), PartnerRequest.insured_key == _key(person))
    return list(session.scalars(query.order_by(PartnerRequest.created_at)))


def _record(session: Session, who: dict, action: str, found: list[PartnerRequest]) -> list[str]:
    """Who looked at the person's data (GDPR accountability), committed with what it did."""
    references = [r.reference for r in found]
    session.add(PersonalDataRecord(action=action, caisse_code=who["caisse_code"], agent_id=who["id"],
                                   agent_name=author_name(who), request_count=len(found),
                                   references=" ".join(references)))
    return references


def find(session: Session, who: dict, person) -> list[dict]:
    from services.requests.history import as_row

    found = _requests(session, who, person)
    _record(session, who, "find", found)
    session.commit()
    return [as_row(r) for r in found]


def export(session: Session, who: dict, person) -> dict:
    """Everything the caisse's portal holds on the person: requests, details, timelines,
    the list of files (each downloadable from its request)."""
    exported, found = [], _requests(session, who, person)
    _record(session, who, "export", found)
    session.commit()
    for r in found:
        events = session.scalars(sa.select(RequestEvent).where(RequestEvent.request_id == r.id)
                                 .order_by(RequestEvent.id))
        exported.append({
            "reference": r.reference, "kind": KINDS.get(r.kind, r.kind), "status": STATUSES.get(r.status, r.status),
            "created_at": r.created_at.isoformat(), "caisse_code": r.caisse_code,
            "insured": {"civility": r.insured_civility, "last_name": r.insured_last_name,
                        "first_name": r.insured_first_name, "birth_date": r.insured_birth_date.isoformat(),
                        "department": r.insured_department},
            "details": r.details, "delivery": r.delivery,
            "timeline": [{"at": e.at.isoformat(), "author": e.author_name, "status": STATUSES.get(e.to_status or "", ""),
                          "message": e.message,
                          "files": [{"filename": a.filename, "size": a.size, "content_type": a.content_type}
                                    for a in e.attachments]} for e in events]})
    return {"exported_at": utcnow().isoformat(), "caisse_code": who["caisse_code"], "requests": exported}


def erase(session: Session, who: dict, person, storage) -> dict:
    """Deletes the person's requests in the caisse, then their files (a file left by a
    crash between the two is unreachable: no row points to it any more)."""
    found = _requests(session, who, person)
    references = _record(session, who, "erase", found)
    delete_requests(session, found, storage)
    return {"erased": len(found), "references": references}


def delete_requests(session: Session, found: list[PartnerRequest], storage) -> None:
    """The requests, their timelines and files; the rows first (a file left by a crash between
    the two is unreachable: no row points to it any more). Commits."""
    keys = list(session.scalars(sa.select(Attachment.storage_key)
                                .where(Attachment.request_id.in_([r.id for r in found]))))
    name_search.forget(session, [r.id for r in found])
    for r in found:
        session.execute(sa.delete(Attachment).where(Attachment.request_id == r.id))
        session.execute(sa.delete(RequestEvent).where(RequestEvent.request_id == r.id))
        tally.moved(session, r, r.status, None)
        session.delete(r)
    session.commit()
    for key in keys:
        storage.delete(key)
