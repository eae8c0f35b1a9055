"""The portal's documentation (issue 15, point 4): user guides, forms and CGU, downloadable.

A caisse's administrateur de caisse publishes for their caisse (the caisse keeps « the downloadable
documentation of the portal up to date »: its official documents, like its settings, are the
administrateur's); the national administrator publishes for everyone (``caisse_code`` ""). Publishing
a new version of a document keeps the previous ones: the newest is the one in force (« en vigueur »
for the CGU), the others stay listed and downloadable as previous versions. Files go through
``attachments.accept`` (type, readability, antivirus) like every attachment.

Everyone signed in reads the national documents and those of their caisses: a partner's users, the
caisses of their conventions in force; an agent, their caisse's; the national administrator, all.
A new version is announced in the news of the caisses concerned (the notifier turns the
DOCUMENT_PUBLISHED event into a news item, which the next newsletter carries).
"""
import base64
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts import events
from contracts.errors import NotAuthorized, NotFound, ValidationFailed
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, PARTNER_USERS
from services.common import ids
from services.requests import validation
from services.requests.lifecycle import accept_upload, author_name
from services.requests.models import Document

CATEGORIES = {"guide": "Guide d'utilisation", "formulaire": "Formulaire", "cgu": "Conditions générales d'utilisation"}
TITLE_MAX = 200
VERSION_MAX = 30


def reader_caisses(who: dict) -> list[str] | None:
    """The caisses whose documents ``who`` reads besides the national ones; None: all of them."""
    if who["profile"] == ADMIN_NATIONAL:
        return None
    if who["profile"] == AGENT_CAISSE:
        return [who["caisse_code"]] if who.get("caisse_code") else []
    if who["profile"] in PARTNER_USERS:
        return [c["code"] for c in who.get("caisses") or []]
    raise NotAuthorized()


def publisher_caisse(who: dict) -> str:
    """Where ``who`` publishes: their caisse (its administrateur), or "" for everyone (the national admin)."""
    if who["profile"] == ADMIN_NATIONAL:
        return ""
    if who["profile"] == AGENT_CAISSE and who.get("caisse_admin") and who.get("caisse_code"):
        return who["caisse_code"]
    raise NotAuthorized("Seul l'administrateur de la caisse publie sa documentation.")


def _readable(who: dict):
    caisses = reader_caisses(who)
    return sa.true() if caisses is None else Document.caisse_code.in_(["", *caisses])


def _version_row(d: Document) -> dict:
    return {"id": d.id, "version": d.version, "filename": d.filename, "size": d.size,
            "published_at": d.published_at.isoformat(), "author_name": d.author_name}


def listing(session: Session, who: dict) -> dict:
    """Every document ``who`` reads, newest version first within each, grouped by category; and whether
    (and where) they publish."""
    documents: dict[int, dict] = {}
    for d in session.scalars(sa.select(Document).where(_readable(who))
                             .order_by(Document.caisse_code, Document.title, Document.id.desc())):
        series = d.series_id or d.id
        if series not in documents:
            documents[series] = {"series_id": series, "caisse_code": d.caisse_code, "title": d.title,
                                 "category": d.category, "category_label": CATEGORIES.get(d.category, d.category),
                                 "current": _version_row(d), "previous": []}
        else:
            documents[series]["previous"].append(_version_row(d))
    try:
        publishes = publisher_caisse(who)
    except NotAuthorized:
        publishes = None
    return {"categories": CATEGORIES, "documents": list(documents.values()), "publishes_for": publishes}


def _file(raw, scanner, storage) -> dict:
    if not raw:
        raise ValidationFailed(None, {"attachment": "Fichier : joignez le document (PDF, JPEG ou PNG)."})
    return accept_upload(raw, scanner, storage, "document")


def publish(session: Session, who: dict, data: dict, raw_file, scanner, storage, all_caisses, emit: list) -> dict:
    """A new document, or a new version of one (``series_id``); ``all_caisses()``: every caisse code
    (accounts), where a national document is announced."""
    caisse_code = publisher_caisse(who)
    data, errors = dict(data or {}), {}
    category = str(data.get("category") or "")
    if category not in CATEGORIES:
        errors["category"] = "Catégorie : choisissez guide d'utilisation, formulaire ou CGU."
    texts = {}
    for field, label, limit in (("title", "Titre", TITLE_MAX), ("version", "Version", VERSION_MAX)):
        try:
            texts[field] = validation.validate_free_text(data.get(field), field, required=True, max_length=limit)
        except ValidationFailed as exc:
            errors.update({field: f"{label} : {message[0].lower()}{message[1:]}" for message in exc.fields.values()})
    previous = None
    if data.get("series_id") not in (None, ""):
        series_id = ids.row_id(data["series_id"])
        previous = session.scalars(sa.select(Document).where(
            Document.id == series_id, Document.caisse_code == caisse_code)).first() if series_id else None
        if previous is None:
            errors["series_id"] = "Nouvelle version de : document introuvable."
        elif category and previous.category != category:
            errors["category"] = "Catégorie : une nouvelle version garde la catégorie du document."
    if errors:
        raise ValidationFailed(None, errors)
    stored = _file(raw_file, scanner, storage)
    try:
        document = Document(series_id=(previous.series_id or previous.id) if previous else None,
                            caisse_code=caisse_code, category=category, title=texts["title"],
                            version=texts["version"], storage_key=stored["storage_key"],
                            filename=stored["filename"], content_type=stored["content_type"], size=stored["size"],
                            sha256=stored["sha256"], author_id=who.get("id"), author_name=author_name(who))
        session.add(document)
        session.flush()
        document.series_id = document.series_id or document.id
        emit.append((events.DOCUMENT_PUBLISHED, {
            "event_id": str(uuid.uuid4()), "document_id": document.id,
            "caisse_codes": [caisse_code] if caisse_code else list(all_caisses()),
            "title": document.title, "version": document.version, "category_label": CATEGORIES[category],
            "new_version": previous is not None, "author_name": document.author_name}))
        session.commit()
    except Exception:
        session.rollback()
        storage.delete(stored["storage_key"])
        raise
    return {"id": document.id, "series_id": document.series_id, "title": document.title,
            "version": document.version, "caisse_code": caisse_code}


def download(session: Session, who: dict, document_id, storage) -> dict:
    document_id = ids.row_id(document_id)
    if document_id is None:
        raise NotFound("Document introuvable.")
    found = session.scalars(sa.select(Document).where(Document.id == document_id, _readable(who))).first()
    if found is None:
        raise NotFound("Document introuvable.")
    return {"filename": found.filename, "content_type": found.content_type,
            "content_b64": base64.b64encode(storage.get(found.storage_key)).decode()}
