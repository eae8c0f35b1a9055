"""A caisse's settings of request processing, chosen by its administrateur (or the national
administrator): the documents it offers in « Demander un document », how it delivers the
documents it answers with, and the delay after which an untreated request is late.

One row per caisse (``caisse_setting``; no row: the defaults, today's behaviour), every change
logged in ``caisse_setting_change`` (who, when, each setting before and after). Applied here:
the request form a technicien is shown (``form``), the submission (``check_offered``,
``delivery_for``) and the caisse's answers with documents (``portal_delivery``)."""
import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from contracts.errors import NotAuthorized, ValidationFailed
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, TECHNICIEN
from services.requests import scope
from services.requests.catalogue import (INSURED_FIELDS, KIND_FIELDS, KINDS, OFFERABLE_DOCUMENTS, PREVENTION_OFFERS,
                                        UNTREATED_STATUSES)
from services.requests.models import CaisseSetting, CaisseSettingChange, PartnerRequest, utcnow

PORTAL, ADDRESS = "portail_habilites", "adresse"
DELIVERY_POLICIES = {
    PORTAL: "Par le portail pour les organismes habilités (tutelles, ASE, organismes dépositaires, mandataires "
            "judiciaires) ; à l'adresse connue de l'assuré pour les autres partenaires",
    ADDRESS: "Toujours à l'adresse connue de l'assuré",
}
DEFAULT_LATE_AFTER_DAYS = 10
LATE_RANGE = (1, 365)
LABELS = {"documents": "Documents proposés", "delivery": "Envoi des documents",
          "late_after_days": "Délai avant retard (jours)"}
CAISSE_CODE = re.compile(r"[0-9A-Za-z]{1,8}")
CHANGES_SHOWN = 10

# What the partner reads on the form, by where the documents of this request will go.
DELIVERY_TEXTS = {
    "portail": "Votre structure est un organisme habilité : les documents demandés vous seront transmis "
               "par le portail, dans cette demande.",
    "adresse": "Les documents demandés seront envoyés par la caisse à l'adresse connue de l'assuré, "
               "pas par le portail.",
}


# --- reading the settings (every module of the service) -------------------------------------------

def _values(row: CaisseSetting | None) -> dict:
    documents = row.documents if row and row.documents is not None else list(OFFERABLE_DOCUMENTS)
    return {"documents": [d for d in OFFERABLE_DOCUMENTS if d in documents],
            "delivery": row.delivery if row and row.delivery in DELIVERY_POLICIES else PORTAL,
            "late_after_days": row.late_after_days if row else DEFAULT_LATE_AFTER_DAYS}


def values(session: Session, caisse_code: str) -> dict:
    return _values(session.get(CaisseSetting, caisse_code))


def late_after_days(session: Session, caisse_code: str) -> int:
    return values(session, caisse_code)["late_after_days"]


# Late: untreated, filed more than the caisse's delay ago. The one definition, in SQL and on a loaded row.
def late_clause(days: int):
    return late_before(late_cutoff(days))


def late_before(cutoff):
    """``cutoff``: a time, or a bound parameter standing for one (a statement built once)."""
    return sa.and_(PartnerRequest.status.in_(UNTREATED_STATUSES), PartnerRequest.created_at < cutoff)


def late_cutoff(days: int):
    return utcnow() - timedelta(days=days)


def is_late(request: PartnerRequest, days: int | None) -> bool:
    return days is not None and request.status in UNTREATED_STATUSES and request.created_at < late_cutoff(days)


def portal_delivery(session: Session, caisse_code: str, habilitated: bool) -> bool:
    """The caisse sends this partner's documents through the portal (else to the insured's address)."""
    return bool(habilitated) and values(session, caisse_code)["delivery"] == PORTAL


def delivery_for(session: Session, caisse_code: str, habilitated: bool) -> str:
    """A document request's delivery, fixed at submission: portail | adresse."""
    return "portail" if portal_delivery(session, caisse_code, habilitated) else "adresse"


def _document_fields(offered: list[str]) -> list[dict]:
    """« Demander un document »'s fields with only the caisse's offer in their choices."""
    fields = []
    for spec in KIND_FIELDS["document"]:
        choices = spec["choices"]
        if spec["name"] == "document_type":
            choices = {k: v for k, v in choices.items()
                       if k in offered or (k == "prevention" and any(o in offered for o in PREVENTION_OFFERS))}
        elif spec["name"] == "prevention_offer":
            choices = {k: v for k, v in choices.items() if k in offered}
        fields.append({**spec, "choices": choices} if spec["choices"] else spec)
    return fields


def check_offered(session: Session, caisse_code: str, kind: str, details: dict) -> None:
    """A document the caisse does not offer is refused on its field."""
    if kind != "document":
        return
    offered = values(session, caisse_code)["documents"]
    for spec in _document_fields(offered):
        value = details.get(spec["name"])
        if spec["choices"] is not None and value is not None and value not in spec["choices"]:
            raise ValidationFailed(None, {spec["name"]: "Ce document n'est pas proposé par cette caisse."})


def form(session: Session, who: dict, kind: str, caisse_code: str) -> dict:
    """The form of ``kind`` for a request to ``caisse_code``: refused when the partner's convention
    with it does not open that kind; the documents the caisse offers; where they will be sent.
    Shaped like the catalogue (``insured_fields``, ``kind_fields``) for the screens."""
    if who["profile"] != TECHNICIEN:
        raise NotAuthorized("Seuls les techniciens déposent des demandes.")
    if kind not in KINDS:
        raise ValidationFailed(None, {"kind": "Type de demande inconnu."})
    scope.require_feature(who, caisse_code, kind)
    caisse = next(c for c in who["caisses"] if c["code"] == caisse_code)
    delivery = None
    fields = KIND_FIELDS[kind]
    if kind == "document":
        fields = _document_fields(values(session, caisse_code)["documents"])
        mode = delivery_for(session, caisse_code, who.get("habilitated_body"))
        delivery = {"mode": mode, "text": DELIVERY_TEXTS[mode]}
    return {"kind": kind, "kind_label": KINDS[kind], "caisse": {"code": caisse_code, "name": caisse.get("name")},
            "insured_fields": INSURED_FIELDS, "kind_fields": {kind: fields}, "delivery": delivery}


# --- the settings screen --------------------------------------------------------------------------

def _caisse_of(who: dict, caisse_code) -> str:
    """The caisse whose settings ``who`` may read and change: the administrateur's own, any for
    the national administrator."""
    if who["profile"] == ADMIN_NATIONAL:
        code = str(caisse_code or "").strip()
        if not CAISSE_CODE.fullmatch(code):
            raise ValidationFailed(None, {"caisse_code": "Indiquez le code de la caisse."})
        return code
    if who["profile"] == AGENT_CAISSE and who.get("caisse_admin") and who.get("caisse_code"):
        if caisse_code not in (None, "", who["caisse_code"]):
            raise NotAuthorized("Vous ne gérez que les paramètres de votre caisse.")
        return who["caisse_code"]
    raise NotAuthorized("Réservé à l'administrateur de la caisse.")


def _change_row(change: CaisseSettingChange) -> dict:
    return {"at": change.at.isoformat(), "author_name": change.author_name,
            "changes": [{"setting": name, "label": LABELS.get(name, name), "before": before, "after": after}
                        for name, (before, after) in change.changes.items()]}


def _answer(session: Session, caisse_code: str) -> dict:
    changes = session.scalars(sa.select(CaisseSettingChange).where(CaisseSettingChange.caisse_code == caisse_code)
                              .order_by(CaisseSettingChange.id.desc()).limit(CHANGES_SHOWN))
    return {"caisse_code": caisse_code, **values(session, caisse_code),
            "choices": {"documents": OFFERABLE_DOCUMENTS, "delivery": DELIVERY_POLICIES,
                        "prevention": list(PREVENTION_OFFERS), "late_after_days": list(LATE_RANGE)},
            "changes": [_change_row(c) for c in changes]}


def get(session: Session, who: dict, caisse_code=None) -> dict:
    return _answer(session, _caisse_of(who, caisse_code))


def _clean(data: dict) -> dict:
    errors, clean = {}, {}
    documents = data.get("documents")
    if not isinstance(documents, (list, tuple)) or not all(isinstance(d, str) for d in documents):
        errors["documents"] = "Choisissez les documents proposés dans la liste."
    elif any(d not in OFFERABLE_DOCUMENTS for d in documents):
        errors["documents"] = "Choisissez les documents proposés dans la liste."
    elif not documents:
        errors["documents"] = "Proposez au moins un document."
    else:
        clean["documents"] = [d for d in OFFERABLE_DOCUMENTS if d in documents]
    if data.get("delivery") in DELIVERY_POLICIES:
        clean["delivery"] = data["delivery"]
    else:
        errors["delivery"] = "Choisissez comment la caisse envoie les documents."
    try:
        days = int(str(data.get("late_after_days", "")).strip())
        if not LATE_RANGE[0] <= days <= LATE_RANGE[1]:
            raise ValueError
        clean["late_after_days"] = days
    except ValueError:
        errors["late_after_days"] = f"Un nombre de jours entre {LATE_RANGE[0]} et {LATE_RANGE[1]}."
    if errors:
        raise ValidationFailed(None, errors)
    return clean


def ensure_row(session: Session, caisse_code: str) -> None:
    """The caisse's row, with the defaults if it had none: one row per caisse whoever comes first
    (a write, so on SQLite it also takes the database's write lock for the transaction)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(CaisseSetting).values(caisse_code=caisse_code, late_after_days=DEFAULT_LATE_AFTER_DAYS,
                                                 delivery=PORTAL).on_conflict_do_nothing())


def locked_row(session: Session, caisse_code: str) -> CaisseSetting:
    """The caisse's row, locked until commit: of two saves the second waits for the first."""
    ensure_row(session, caisse_code)
    return session.scalars(sa.select(CaisseSetting).where(CaisseSetting.caisse_code == caisse_code)
                           .with_for_update().execution_options(populate_existing=True)).one()


def save(session: Session, who: dict, data, caisse_code=None) -> dict:
    """The whole form at once; a change of nothing records nothing."""
    code = _caisse_of(who, caisse_code)
    clean = _clean(dict(data or {}))
    try:
        row = locked_row(session, code)
        before = _values(row)
        changes = {name: [before[name], value] for name, value in clean.items() if before[name] != value}
        if changes:
            row.documents, row.delivery = clean["documents"], clean["delivery"]
            row.late_after_days, row.updated_at = clean["late_after_days"], utcnow()
            session.add(CaisseSettingChange(
                caisse_code=code, author_id=who.get("id"), author_profile=who["profile"],
                author_name=f"{who.get('first_name') or ''} {who.get('last_name') or ''}".strip()
                or "Administrateur national", changes=changes))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return _answer(session, code)
