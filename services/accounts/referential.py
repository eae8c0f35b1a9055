"""Caisses, partners and their conventions with caisses."""
import re
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.catalogue import FEATURES, PARTNER_KINDS
from contracts.departments import DEPARTMENTS
from contracts.errors import NotFound, ValidationFailed
from contracts import text
from contracts.profiles import ADMIN_NATIONAL
from services.accounts import access, audit, conventions
from services.accounts.conventions import convention_row, limited_row
from services.accounts.models import Account, Caisse, Convention, Partner
from services.accounts.caisse_settings import clean_referents, public_referent

def _text(data: dict, field: str, label: str, errors: dict, max_len: int, required=True) -> str:
    value = text.clean(str(data.get(field) or ""))
    if required and not value:
        errors[field] = f"{label} : ce champ est obligatoire."
    elif len(value) > max_len:
        errors[field] = f"{label} : {max_len} caractères au maximum."
    return value


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationFailed(None, errors)


# --- caisses (national admin) ---------------------------------------------------------------

def caisse_row(caisse: Caisse) -> dict:
    return {"id": caisse.id, "code": caisse.code, "name": caisse.name, "address": caisse.address,
            "referents": [public_referent(r) for r in caisse.referents or []], "departments": caisse.departments}


def caisse_agents(session: Session, caisse_code: str) -> dict:
    """The caisse's name and its active agents (recipients of the caisse's own emails)."""
    caisse = session.scalars(sa.select(Caisse).where(Caisse.code == str(caisse_code))).first()
    if caisse is None:
        raise NotFound("Caisse inconnue.")
    agents = session.scalars(sa.select(Account).where(Account.caisse_id == caisse.id, Account.status == "active",
                                                      Account.profile == "agent_caisse").order_by(Account.id))
    return {"name": caisse.name, "agents": [{"email": a.email, "first_name": a.first_name, "last_name": a.last_name,
                                             "account_id": a.id, "caisses": [caisse.code]} for a in agents]}


def caisse_for_department(session: Session, department: str) -> str | None:
    """The caisse on the platform covering this department of residence, if any."""
    for caisse in session.scalars(sa.select(Caisse).order_by(Caisse.code)):
        if str(department).upper() in caisse.departments:
            return caisse.code
    return None


def list_caisses(session: Session) -> list[dict]:
    return [caisse_row(c) for c in session.scalars(sa.select(Caisse).order_by(Caisse.code))]


def save_caisse(session: Session, actor: Account, data: dict) -> dict:
    errors: dict = {}
    code = _text(data, "code", "Code", errors, 8)
    if code and not re.fullmatch(r"\d{3}", code):
        errors["code"] = "Code : trois chiffres (ex. 601)."
    name = _text(data, "name", "Nom", errors, 120)
    address = _text(data, "address", "Adresse", errors, 300, required=False)
    referents, referent_errors = clean_referents(data.get("referents"))
    errors.update(referent_errors)
    departments = sorted({d.strip().upper() for d in str(data.get("departments") or "").replace(",", " ").split()}
                         if isinstance(data.get("departments"), str) else
                         {str(d).strip().upper() for d in data.get("departments") or []})
    if any(d not in DEPARTMENTS for d in departments):
        errors["departments"] = "Départements : des codes séparés par des espaces (ex. 60 80 2A 974)."
    _raise_if(errors)
    caisse = access.by_id(session, Caisse, data["id"]) if data.get("id") else None
    duplicate = session.scalars(sa.select(Caisse).where(Caisse.code == code)).first()
    if duplicate and duplicate is not caisse:
        raise ValidationFailed(None, {"code": "Une caisse porte déjà ce code."})
    if caisse is None:
        caisse = Caisse(code=code, name=name)
        session.add(caisse)
    caisse.code, caisse.name, caisse.address, caisse.referents = code, name, address, referents
    caisse.departments = departments
    session.flush()
    audit.record(session, "caisse_saved", actor=actor, caisse_id=caisse.id, details=f"{code} {name}")
    session.commit()
    return caisse_row(caisse)


# --- partners (caisse agent) -----------------------------------------------------------------

def partner_row(session: Session, p: Partner, caisse_id: int | None = None) -> dict:
    """The full record (a caisse with a convention in force, or the national admin): its conventions
    with that caisse (all of them for the national admin). ``suspended``: cut off that caisse (the
    caisse's convention) or every caisse (``cut_off``, the national admin's)."""
    rows = [convention_row(c) for c in session.scalars(sa.select(Convention).where(Convention.partner_id == p.id)
                                                       .order_by(Convention.id))
            if caisse_id is None or c.caisse_id == caisse_id]
    mine = [r for r in rows if r["in_force"]] if caisse_id is not None else []
    return {"id": p.id, "name": p.name, "kind": p.kind, "siret": p.siret, "address": p.address, "limited": False,
            "member_count": p.member_count, "habilitated_body": p.habilitated_body,
            "email_domains": p.email_domains, "cut_off": p.suspended_at is not None,
            "suspended": p.suspended_at is not None or any(r["suspended"] for r in mine),
            "conventions": rows}


def list_partners(session: Session, actor: Account) -> list[dict]:
    """Full records of the partners the actor may see; for an agent, also the partners its caisse
    proposed a convention to, or whose convention ended or was refused: their name and status only."""
    ids = access.visible_partner_ids(session, actor)
    query = sa.select(Partner).order_by(Partner.name)
    if ids is not None:
        query = query.where(Partner.id.in_(ids))
    rows = [partner_row(session, p, actor.caisse_id) for p in session.scalars(query)]
    if actor.profile != ADMIN_NATIONAL:
        others = session.scalars(sa.select(Convention).where(Convention.caisse_id == actor.caisse_id,
                                                             Convention.partner_id.not_in(ids))
                                 .order_by(Convention.id.desc()))
        latest = {}
        for c in others:
            latest.setdefault(c.partner_id, c)
        rows += [limited_row(c.partner, c) for c in latest.values()]
        rows.sort(key=lambda r: r["name"])
    return rows


def _partner_fields(data: dict) -> dict:
    errors: dict = {}
    values = {
        "name": _text(data, "name", "Nom", errors, 160),
        "kind": _text(data, "kind", "Type", errors, 40),
        "siret": re.sub(r"\s", "", str(data.get("siret") or "")),
        "address": _text(data, "address", "Adresse", errors, 300),
        "email_domains": " ".join(str(data.get("email_domains") or "").lower().replace(",", " ").split())[:300],
        "habilitated_body": bool(data.get("habilitated_body")),
    }
    if values["kind"] and values["kind"] not in PARTNER_KINDS:
        errors["kind"] = "Type : choisissez dans la liste."
    if not re.fullmatch(r"\d{14}", values["siret"]) or not _luhn(values["siret"]):
        errors["siret"] = "SIRET : 14 chiffres valides."
    if any(not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", d) for d in values["email_domains"].split()):
        errors["email_domains"] = "Domaines : des noms de domaine séparés par des espaces (ex. ville.fr ccas.ville.fr)."
    try:
        values["member_count"] = int(data.get("member_count"))
        if not 1 <= values["member_count"] <= 100000:
            raise ValueError
    except (TypeError, ValueError):
        errors["member_count"] = "Nombre de membres de la structure : un nombre entier positif."
    _raise_if(errors)
    return values


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0 or digits.startswith("356000000")   # La Poste's SIRETs use another rule


def _convention_fields(data: dict) -> dict:
    errors: dict = {}
    try:
        start = date.fromisoformat(str(data.get("start_date")))
    except ValueError:
        errors["start_date"] = "Date de début : une date valide."
        start = None
    end = None
    if data.get("end_date"):
        try:
            end = date.fromisoformat(str(data["end_date"]))
            if start and end <= start:
                errors["end_date"] = "La date de fin suit la date de début."
        except ValueError:
            errors["end_date"] = "Date de fin : une date valide."
    features = [f for f in data.get("features") or [] if f in FEATURES]
    if not features:
        errors["features"] = "Activez au moins une fonctionnalité."
    _raise_if(errors)
    return {"start_date": start, "end_date": end, "tacit_renewal": bool(data.get("tacit_renewal", True)),
            "features": features}


def _all_or_errors(*checks):
    """Run every check, so the form shows all its errors at once."""
    results, errors = [], {}
    for check in checks:
        try:
            results.append(check())
        except ValidationFailed as exc:
            errors.update(exc.fields)
    _raise_if(errors)
    return results


def register_partner(session: Session, actor: Account, data: dict, emit: list) -> dict:
    """A new partner and its convention with the agent's caisse. A SIRET already known gets a
    convention *proposal* instead (services.accounts.conventions.propose): the answer is then
    the partner's name and the proposal's status only (``limited``)."""
    values, convention = _all_or_errors(lambda: _partner_fields(data), lambda: _convention_fields(data))
    partner = session.scalars(sa.select(Partner).where(Partner.siret == values["siret"])).first()
    if partner is not None:
        return conventions.propose(session, actor, partner, convention, emit)
    partner = Partner(**values)
    session.add(partner)
    session.flush()
    audit.record(session, "partner_registered", actor=actor, partner_id=partner.id, caisse_id=actor.caisse_id,
                 details=partner.name)
    session.add(Convention(partner_id=partner.id, caisse_id=actor.caisse_id, **convention))
    audit.record(session, "convention_added", actor=actor, partner_id=partner.id, caisse_id=actor.caisse_id,
                 details=f"à compter du {convention['start_date']:%d/%m/%Y}")
    session.commit()
    return partner_row(session, partner, actor.caisse_id)


RECORD_FIELDS = ("name", "kind", "address", "member_count", "habilitated_body", "email_domains")
RECORD_LABELS = {"name": "nom", "kind": "type", "address": "adresse", "member_count": "nombre de membres",
                 "habilitated_body": "organisme habilité", "email_domains": "domaines de messagerie"}


def update_partner(session: Session, actor: Account, partner: Partner, data: dict) -> dict:
    """The partner's record (name, type, address, member count, habilitated-body flag, email
    domains; the SIRET is its identity and stays). A lower member count inactivates nobody:
    the caps refuse new and reactivated accounts until the count is under them."""
    given = {k: data[k] for k in RECORD_FIELDS if k in data}
    values = _partner_fields({**partner_row(session, partner), **given})
    changed = [k for k in RECORD_FIELDS if getattr(partner, k) != values[k]]
    for key in changed:
        setattr(partner, key, values[key])
    if changed:
        audit.record(session, "partner_updated", actor=actor, partner_id=partner.id, caisse_id=actor.caisse_id,
                     details=", ".join(f"{RECORD_LABELS[k]} : {_said(values[k])}" for k in changed))
    session.commit()
    return partner_row(session, partner, actor.caisse_id)


def _said(value) -> str:
    return ("oui" if value else "non") if isinstance(value, bool) else str(value)
