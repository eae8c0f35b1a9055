"""Submitting requests, moving them through their statuses, messages and files."""
import base64
import binascii
import re
import unicodedata
import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts import events
from contracts.errors import (AlreadyOpen, FeatureNotOpen, NotAuthorized, NotFound, RuleViolation,
                             ServiceUnavailable, ValidationFailed)
from contracts.profiles import TECHNICIEN
from services.common import ids
from services.requests import (attachments, caisse_settings, name_search, quotas, scope, statistics, tally, turns,
                               validation)
from services.requests.catalogue import ACTION_LABELS, ACTIONS, KINDS, OPEN_STATUSES, STATUSES
from services.requests.models import (Attachment, NotificationPreference, PartnerRequest, ReferenceCounter,
                                      RequestEvent, utcnow)

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def insured_key(insured: dict) -> str:
    """Accent- and case-free "last first birthdate": search and the one-open-request rule."""
    text = f"{insured['last_name']} {insured['first_name']}".lower()
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return f"{' '.join(plain.split())} {insured['birth_date']}"


def next_reference(session: Session) -> str:
    year = utcnow().year
    for _ in range(3):
        updated = session.execute(sa.update(ReferenceCounter).where(ReferenceCounter.year == year)
                                  .values(last=ReferenceCounter.last + 1).returning(ReferenceCounter.last)).scalar()
        if updated is not None:
            return f"DP-{year}-{updated:06d}"
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(year=year, last=0))
        except IntegrityError:
            pass                                 # created by a concurrent submission: update again
    raise RuntimeError("reference counter unavailable")


def _decoded(item, default_name: str = "fichier") -> tuple[str, bytes]:
    """An uploaded file ({"filename", "content_b64"}) as (name, bytes); bad base64 is a field refusal."""
    try:
        return str(item.get("filename") or default_name), base64.b64decode(item.get("content_b64", ""), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        raise ValidationFailed(None, {"attachment": "Fichier illisible."})


def accept_upload(item, scanner, storage, default_name: str = "fichier") -> dict:
    """One uploaded file checked, scanned and stored (``attachments.accept``)."""
    return attachments.accept(*_decoded(item, default_name), scanner, storage)


def _files(raw_files, direction: str, scanner, storage, quota=None) -> list[dict]:
    """Scan and store every file, or none: a refusal removes those already stored.
    ``quota(sizes)``: refuses files that cannot fit (quotas.check), before any is scanned."""
    raw_files = list(raw_files or [])
    if len(raw_files) > attachments.MAX_FILES_PER_REQUEST:
        raise ValidationFailed(None, {"attachment": f"{attachments.MAX_FILES_PER_REQUEST} fichiers au maximum."})
    decoded = [_decoded(item) for item in raw_files]
    if quota is not None:
        quota([len(data) for _name, data in decoded])
    stored = []
    try:
        for name, data in decoded:
            stored.append({**attachments.accept(name, data, scanner, storage), "direction": direction})
    except Exception:
        for meta in stored:
            storage.delete(meta["storage_key"])
        raise
    return stored


def author_name(who: dict) -> str:
    return f"{who.get('first_name') or ''} {who.get('last_name') or ''}".strip()


def _event(session, request, who, message="", to_status=None, files=()):
    event = RequestEvent(request_id=request.id, author_id=who.get("id"), author_name=author_name(who),
                         side=scope.side(who), from_status=request.status if to_status else None,
                         to_status=to_status, message=message)
    session.add(event)
    session.flush()
    for meta in files:
        session.add(Attachment(request_id=request.id, event_id=event.id, direction=meta["direction"],
                               storage_key=meta["storage_key"], filename=meta["filename"],
                               content_type=meta["content_type"], size=meta["size"], sha256=meta["sha256"]))
    return event


def router(services):
    """``route(department)``: the caisse covering the insured's department, asked of accounts; when
    accounts does not answer, None, and the request stays with the convention's caisse (which can
    forward it)."""
    def route(department):
        try:
            return services.call("accounts", "caisse_for_department", department)
        except ServiceUnavailable:
            return None
    return route


def _idempotency_key(value) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not IDEMPOTENCY_KEY.fullmatch(value):
        raise ValidationFailed("Formulaire invalide : rechargez la page.", {})
    return value


def _submitted_with(session: Session, who: dict, key: str | None) -> PartnerRequest | None:
    if key is None:
        return None
    return session.scalars(sa.select(PartnerRequest).where(PartnerRequest.created_by == who["id"],
                                                           PartnerRequest.idempotency_key == key)).first()


def submit(session: Session, who: dict, kind: str, caisse_code: str, data: dict, raw_files, scanner, storage,
           route, idempotency_key: str | None = None) -> dict:
    """``route(department)`` -> the caisse code handling that department on the platform, or None.

    ``idempotency_key``: chosen by the web for one form. When the web could not tell whether a
    submission went through (broker cut, timeout) it says "réessayez"; the retry carries the same
    key and gets the request already made instead of a second one (unique with its author)."""
    if who["profile"] != TECHNICIEN:
        raise NotAuthorized("Seuls les techniciens déposent des demandes.")
    if kind not in KINDS:
        raise FeatureNotOpen(None, str(kind))
    scope.require_feature(who, caisse_code, kind)
    idempotency_key = _idempotency_key(idempotency_key)
    made = _submitted_with(session, who, idempotency_key)
    clean = validation.validate_request(kind, dict(data or {}))
    insured = clean["insured"]
    key = insured_key(insured)
    if made is not None:
        return _already_made(session, who, made, kind, caisse_code, key)
    caisse_settings.check_offered(session, caisse_code, kind, clean["details"])
    _refuse_if_open(session, who, kind, key)          # early, read only: no scan for a refusal
    processing = caisse_code
    if kind == "contact_caisse":
        processing = route(insured["department"]) or caisse_code
    files = _files(raw_files, "in", scanner, storage,
                   lambda sizes: quotas.check(session, who, None, "in", sizes))
    try:
        # Two tabs filing for the same person at once: the partner's submissions check and write one at a time.
        turns.take(session, f"submit:{who['partner_id']}")
        _refuse_if_open(session, who, kind, key)
        request = PartnerRequest(
            reference=next_reference(session), partner_id=who["partner_id"], caisse_code=processing,
            convention_caisse_code=caisse_code, kind=kind,
            insured_civility=insured["civility"], insured_last_name=insured["last_name"],
            insured_first_name=insured["first_name"], insured_birth_date=date.fromisoformat(insured["birth_date"]),
            insured_department=insured["department"], insured_key=key, details=clean["details"],
            delivery=caisse_settings.delivery_for(session, processing, who.get("habilitated_body"))
            if kind == "document" else "",
            partner_habilitated=bool(who.get("habilitated_body")),
            created_by=who["id"], created_by_name=author_name(who), created_by_email=who.get("email") or "",
            idempotency_key=idempotency_key)
        session.add(request)
        session.flush()
        name_search.index(session, request)
        statistics.on_filed(session, request)
        quotas.claim(session, who, request.id, "in", [meta["size"] for meta in files])
        _event(session, request, who, to_status="submitted", files=files)
        request.status = "submitted"
        tally.moved(session, request, None, "submitted")
        session.commit()
    except Exception as exc:
        session.rollback()
        for meta in files:
            storage.delete(meta["storage_key"])
        # The same form twice at once: the other call made it; answer as it did.
        if isinstance(exc, IntegrityError) and (made := _submitted_with(session, who, idempotency_key)):
            return _already_made(session, who, made, kind, caisse_code, key)
        raise
    return detail(session, who, request)


def _refuse_if_open(session: Session, who: dict, kind: str, key: str) -> None:
    """One open request per type and person for a partner."""
    open_one = session.scalars(sa.select(PartnerRequest).where(
        PartnerRequest.partner_id == who["partner_id"], PartnerRequest.kind == kind, PartnerRequest.insured_key == key,
        PartnerRequest.status.in_(OPEN_STATUSES))).first()
    if open_one:
        raise AlreadyOpen(f"Une demande de ce type est déjà en cours pour cette personne : {open_one.reference} "
                          f"({STATUSES[open_one.status].lower()}). Complétez-la plutôt que d'en ouvrir une nouvelle.",
                          open_one.id, open_one.reference)


def _already_made(session: Session, who: dict, made: PartnerRequest, kind: str, caisse_code: str, key: str) -> dict:
    """The form's key was filed already: the same submission sent again (a retry) gets the request it made; another
    one under that key (back, edit, send) is refused, never silently taken for the first."""
    if (made.kind, made.convention_caisse_code, made.insured_key) != (kind, caisse_code, key):
        raise RuleViolation(f"Ce formulaire a déjà servi à déposer la demande {made.reference}. Vérifiez les "
                            "informations puis envoyez-le de nouveau pour déposer une autre demande.")
    return detail(session, who, made)


def act(session: Session, who: dict, request_id, action: str, message: str, raw_files, scanner, storage,
        emit: list) -> dict:
    """Apply ``action`` (catalogue.ACTIONS); its email event goes to ``emit``, committed with it."""
    if action not in ACTIONS:
        raise ValidationFailed(None, {"action": "Action inconnue."})
    allowed_from, to_status, actor_side, needs_message = ACTIONS[action]
    request = scope.get(session, who, request_id, lock=True)
    if actor_side != "both" and scope.side(who) != actor_side:
        raise NotAuthorized()
    if scope.side(who) == "partner" and who["profile"] != TECHNICIEN:
        raise NotAuthorized("Seuls les techniciens échangent avec la caisse sur une demande.")
    if request.status not in allowed_from:
        raise RuleViolation(f"Action « {ACTION_LABELS[action]} » impossible : la demande est "
                            f"« {STATUSES[request.status].lower()} ».")
    message = validation.validate_free_text(message, "message", required=needs_message)
    direction = "in" if scope.side(who) == "partner" else "out"
    if direction == "out" and raw_files and not request.partner_habilitated:
        raise RuleViolation("Les documents ne sont transmis par le portail qu'aux organismes habilités ; "
                            "pour ce partenaire ils sont envoyés à l'adresse connue de l'assuré.")
    if direction == "out" and raw_files and not caisse_settings.portal_delivery(session, request.caisse_code, True):
        raise RuleViolation("Votre caisse envoie toujours les documents à l'adresse connue de l'assuré : "
                            "ils ne sont pas transmis par le portail (Paramètres de la caisse).")
    files = _files(raw_files, direction, scanner, storage,
                   lambda sizes: quotas.check(session, who, request.id, direction, sizes))
    try:
        quotas.claim(session, who, request.id, direction, [meta["size"] for meta in files])
        _event(session, request, who, message=message, to_status=to_status, files=files)
        if to_status:
            tally.moved(session, request, request.status, to_status)
            statistics.on_status(session, request, to_status)
            request.status = to_status
            request.closed_at = utcnow() if to_status in ("closed", "not_admissible") else None
        notice = _notice(session, request, who, "status_changes" if to_status else "messages", to_status)
        if notice:
            emit.append(notice)
        request.updated_at = utcnow()
        session.commit()
    except Exception:
        session.rollback()
        for meta in files:
            storage.delete(meta["storage_key"])
        raise
    return detail(session, who, request)


def _notice(session: Session, request: PartnerRequest, who: dict, kind: str, to_status: str | None):
    """The email to the requesting technicien, if the caisse acted and they want that kind of email."""
    if scope.side(who) != "caisse" or not request.created_by_email:
        return None
    preference = session.get(NotificationPreference, request.created_by)
    if preference is not None and not getattr(preference, kind):
        return None
    first, _, last = request.created_by_name.partition(" ")
    return (events.REQUEST_STATUS_CHANGED, {
        "event_id": str(uuid.uuid4()), "recipients": [{"email": request.created_by_email, "first_name": first,
                                                       "last_name": last}],
        "reference": request.reference, "kind_label": KINDS[request.kind],
        "status_label": STATUSES[to_status or request.status], "new_message": not to_status,
        "request_id": request.id})


def preferences(session: Session, who: dict) -> dict:
    row = session.get(NotificationPreference, who["id"])
    return {"status_changes": row.status_changes if row else True, "messages": row.messages if row else True}


def set_preferences(session: Session, who: dict, status_changes: bool, messages: bool) -> dict:
    row = session.get(NotificationPreference, who["id"]) or NotificationPreference(account_id=who["id"])
    row.status_changes, row.messages = bool(status_changes), bool(messages)
    session.add(row)
    session.commit()
    return preferences(session, who)


def download(session: Session, who: dict, request_id, attachment_id, storage) -> dict:
    request = scope.get(session, who, request_id)
    found = session.scalars(sa.select(Attachment).where(Attachment.id == ids.row_id(attachment_id),
                                                        Attachment.request_id == request.id)).first()
    if found is None:
        raise NotFound("Pièce jointe introuvable.")
    if scope.side(who) == "partner" and found.direction == "out" and not request.partner_habilitated:
        raise NotAuthorized("Seuls les organismes habilités reçoivent les documents par le portail.")
    return {"filename": found.filename, "content_type": found.content_type,
            "content_b64": base64.b64encode(storage.get(found.storage_key)).decode()}


def detail(session: Session, who: dict, request: PartnerRequest) -> dict:
    from services.requests.history import as_row

    side = scope.side(who)
    timeline = []
    for event in session.scalars(sa.select(RequestEvent).where(RequestEvent.request_id == request.id)
                                 .order_by(RequestEvent.id)):
        timeline.append({
            "at": event.at.isoformat(), "author": event.author_name, "side": event.side,
            "status_label": STATUSES.get(event.to_status or "", ""), "message": event.message,
            "attachments": [{"id": a.id, "filename": a.filename, "size": a.size, "direction": a.direction,
                             "downloadable": side == "caisse" or a.direction == "in" or request.partner_habilitated}
                            for a in event.attachments]})
    actions = [a for a, (allowed, _, actor, _) in ACTIONS.items()
               if request.status in allowed and actor in (side, "both")
               and (side == "caisse" or who["profile"] == TECHNICIEN)]
    return {**as_row(request), "insured": {
        "civility": request.insured_civility, "last_name": request.insured_last_name,
        "first_name": request.insured_first_name,
        "birth_date": request.insured_birth_date.isoformat() if request.insured_birth_date else None,
        "department": request.insured_department},
        "details": request.details, "delivery": request.delivery, "timeline": timeline,
        "partner_habilitated": request.partner_habilitated, "convention_caisse_code": request.convention_caisse_code,
        # The caisse may answer with files: a habilitated body, and its delivery policy sends through the portal.
        "portal_delivery": caisse_settings.portal_delivery(session, request.caisse_code, request.partner_habilitated),
        "actions": [{"action": a, "label": ACTION_LABELS[a], "message_required": ACTIONS[a][3]} for a in actions]}
