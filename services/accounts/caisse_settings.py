"""The rules the agreements leave to each caisse, set by its administrateur de caisse on
« Paramètres de la caisse » (the requests-side ones live in the requests service), and
its local referents. Every change is audited, field by field.

A partner under convention with several caisses has one set of accounts: a rule that
protects a caisse applies to them as soon as one of the partner's *active* conventions is
with a caisse that has it on — the strictest wins:
- technicien inactivity: the shortest delay among those caisses (with that caisse's warning);
- technicien caps: applied if any of those caisses applies them;
- second factor of gestionnaires: required if any of those caisses requires it
  (services.accounts.second_factor.required).
"""
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.errors import ValidationFailed
from services.accounts import access, audit
from services.accounts.models import Account, Caisse, Convention

MAX_REFERENTS = 20
MAX_PHONES = 5
REFERENT_KINDS = {"person": "Personne", "mailbox": "Boîte aux lettres partagée"}
DAYS_RANGE = (30, 730)          # inactivity: a month to two years without a login
WARNING_RANGE = (1, 60)


def _email(text: str) -> bool:
    return bool(re.fullmatch(r"[^@\s]+@[a-z0-9-]+(\.[a-z0-9-]+)+", text))


# --- local referents ------------------------------------------------------------------------------

def _phone(raw: str) -> str | None:
    """A French number (10 digits) or an international one, as typed with spaces or dots; None if invalid."""
    compact = re.sub(r"[\s.\-]", "", raw)
    return raw.strip() if re.fullmatch(r"(0\d{9}|\+\d{8,15})", compact) else None


def clean_referents(raw) -> tuple[list[dict], dict]:
    """(referents, errors by ``referents.<i>``). A person has a name, a function, one or more
    phones and an email; a shared mailbox a name (« Service partenaires ») and an email, phones optional."""
    referents, errors = [], {}
    entries = list(raw or []) if isinstance(raw, (list, tuple)) else []
    if len(entries) > MAX_REFERENTS:
        return [], {"referents": f"{MAX_REFERENTS} référents au maximum."}
    for i, ref in enumerate(entries):
        ref = ref if isinstance(ref, dict) else {}
        kind = str(ref.get("kind") or "person")
        phones_raw = ref.get("phones")
        if phones_raw is None:                                # the former shape: one "phone" text
            phones_raw = str(ref.get("phone") or "")
        if isinstance(phones_raw, str):
            phones_raw = re.split(r"[,;\n]", phones_raw)
        phones_raw = [str(p).strip() for p in (phones_raw or []) if str(p).strip()]
        entry = {"kind": kind, "name": " ".join(str(ref.get("name") or "").split())[:120],
                 "function": " ".join(str(ref.get("function") or "").split())[:120],
                 "phones": [p for p in (_phone(p) for p in phones_raw) if p][:MAX_PHONES],
                 "email": str(ref.get("email") or "").strip().lower()[:254]}
        problems = []
        if kind not in REFERENT_KINDS:
            problems.append("choisissez une personne ou une boîte aux lettres partagée")
        if not entry["name"]:
            problems.append("le nom est obligatoire")
        if kind == "person" and not entry["function"]:
            problems.append("la fonction est obligatoire")
        if len(entry["phones"]) != len(phones_raw) or len(phones_raw) > MAX_PHONES:
            problems.append(f"chaque téléphone : 10 chiffres ou format international ({MAX_PHONES} au plus)")
        elif kind == "person" and not entry["phones"]:
            problems.append("au moins un téléphone")
        if not _email(entry["email"]):
            problems.append("une adresse électronique valide")
        if problems:
            errors[f"referents.{i}"] = "Référent incomplet : " + ", ".join(problems) + "."
        referents.append(entry)
    return referents, errors


def public_referent(ref: dict) -> dict:
    """As the footer, the maintenance page and the emails show it (``phone``: the former single field)."""
    phones = list(ref.get("phones") or ([ref["phone"]] if ref.get("phone") else []))
    return {"kind": ref.get("kind", "person"), "name": ref.get("name", ""), "function": ref.get("function", ""),
            "phones": phones, "phone": ", ".join(phones), "email": ref.get("email", "")}


# --- the settings screen --------------------------------------------------------------------------

def settings_row(caisse: Caisse) -> dict:
    return {"code": caisse.code, "name": caisse.name,
            "technicien_inactivity": caisse.technicien_inactivity,
            "technicien_inactivity_days": caisse.technicien_inactivity_days,
            "technicien_inactivity_warning_days": caisse.technicien_inactivity_warning_days,
            "technicien_caps": caisse.technicien_caps,
            "partners_second_factor": caisse.partners_second_factor,
            "referents": [public_referent(r) for r in caisse.referents or []],
            "referent_kinds": REFERENT_KINDS, "data_protection": data_protection(caisse)}


def _whole(data: dict, field: str, label: str, bounds: tuple[int, int], errors: dict) -> int | None:
    try:
        value = int(str(data.get(field)).strip())
        if bounds[0] <= value <= bounds[1]:
            return value
    except (TypeError, ValueError):
        pass
    errors[field] = f"{label} : un nombre entier de {bounds[0]} à {bounds[1]}."
    return None


def _flag(value) -> bool:
    return value is True or str(value).lower() in ("1", "true", "on", "y", "oui")


AUDITED = {   # field -> (audit label, how its value reads in the journal)
    "technicien_inactivity": ("inactivation des techniciens sans connexion", lambda v: "activée" if v else "désactivée"),
    "technicien_inactivity_days": ("délai d'inactivité", lambda v: f"{v} jours"),
    "technicien_inactivity_warning_days": ("avertissement", lambda v: f"{v} jours avant"),
    "technicien_caps": ("plafonds de techniciens", lambda v: "appliqués" if v else "non appliqués"),
    "partners_second_factor": ("double authentification des gestionnaires",
                               lambda v: "exigée" if v else "facultative"),
}


def save_rules(session: Session, actor: Account, data: dict) -> dict:
    """The account rules of the administrateur's caisse; nothing is written if one field is wrong."""
    caisse = actor.caisse
    errors: dict = {}
    values = {"technicien_inactivity": _flag(data.get("technicien_inactivity")),
              "technicien_caps": _flag(data.get("technicien_caps")),
              "partners_second_factor": _flag(data.get("partners_second_factor")),
              "technicien_inactivity_days": caisse.technicien_inactivity_days,
              "technicien_inactivity_warning_days": caisse.technicien_inactivity_warning_days}
    if values["technicien_inactivity"] or data.get("technicien_inactivity_days") not in (None, ""):
        values["technicien_inactivity_days"] = _whole(data, "technicien_inactivity_days", "Délai d'inactivité",
                                                      DAYS_RANGE, errors)
        values["technicien_inactivity_warning_days"] = _whole(data, "technicien_inactivity_warning_days",
                                                              "Avertissement", WARNING_RANGE, errors)
    if not errors and values["technicien_inactivity_warning_days"] >= values["technicien_inactivity_days"]:
        errors["technicien_inactivity_warning_days"] = "L'avertissement précède l'inactivation : moins de jours."
    if errors:
        raise ValidationFailed(None, errors)
    for field, (label, reads) in AUDITED.items():
        if getattr(caisse, field) != values[field]:
            audit.record(session, "caisse_setting", actor=actor, caisse_id=caisse.id,
                         details=f"{label} : {reads(getattr(caisse, field))} → {reads(values[field])}")
            setattr(caisse, field, values[field])
    session.commit()
    return settings_row(caisse)


def save_referents(session: Session, actor: Account, caisse: Caisse, raw) -> dict:
    referents, errors = clean_referents(raw)
    if errors:
        raise ValidationFailed(None, errors)
    if referents != caisse.referents:
        names = ", ".join(r["name"] for r in referents) or "aucun"
        audit.record(session, "caisse_referents", actor=actor, caisse_id=caisse.id, details=f"référents : {names}")
        caisse.referents = referents
    session.commit()
    return settings_row(caisse)


# --- the data-protection contact ------------------------------------------------------------------

def data_protection(caisse: Caisse) -> dict:
    """Whom to write to about one's personal data (« Données personnelles », public)."""
    return {"email": caisse.data_protection_email or "", "address": caisse.data_protection_address or ""}


def save_data_protection(session: Session, actor: Account, caisse: Caisse, data: dict) -> dict:
    """The caisse's data-protection contact: an email (required) and a postal address (optional)."""
    values = {"email": str(data.get("email") or "").strip().lower()[:254],
              "address": " ".join(str(data.get("address") or "").split())[:300]}
    errors = {}
    if not _email(values["email"]):
        errors["email"] = "Adresse électronique du délégué à la protection des données : une adresse valide."
    if len(str(data.get("address") or "")) > 300:
        errors["address"] = "Adresse postale : 300 caractères au plus."
    if errors:
        raise ValidationFailed(None, errors)
    for field, label in (("email", "adresse électronique"), ("address", "adresse postale")):
        before = getattr(caisse, f"data_protection_{field}") or ""
        if before != values[field]:
            audit.record(session, "caisse_setting", actor=actor, caisse_id=caisse.id,
                         details=f"protection des données, {label} : {before or 'non renseignée'} → "
                                 f"{values[field] or 'non renseignée'}")
            setattr(caisse, f"data_protection_{field}", values[field])
    session.commit()
    return settings_row(caisse)


# --- how the rules apply to a partner -------------------------------------------------------------

def _active_caisses(session: Session, partner_id: int) -> list[Caisse]:
    conventioned = sa.select(Convention.caisse_id).where(Convention.partner_id == partner_id, access.in_force())
    return list(session.scalars(sa.select(Caisse).where(Caisse.id.in_(conventioned)).order_by(Caisse.code)))


def gestionnaires_second_factor_applies(session: Session, partner_id: int) -> bool:
    """The gestionnaires' second factor is required if any caisse the partner works with requires it."""
    return any(c.partners_second_factor for c in _active_caisses(session, partner_id))


def technicien_caps_apply(session: Session, partner_id: int) -> bool:
    """Caps on techniciens apply unless every caisse the partner works with has switched them off."""
    caisses = _active_caisses(session, partner_id)
    return not caisses or any(c.technicien_caps for c in caisses)


def inactivity_rule(caisses: list[Caisse]) -> dict | None:
    """The strictest inactivity rule among these caisses: {days, warning_days, caisse_name}, or None."""
    applying = sorted((c for c in caisses if c.technicien_inactivity),
                      key=lambda c: (c.technicien_inactivity_days, -c.technicien_inactivity_warning_days))
    if not applying:
        return None
    c = applying[0]
    return {"days": c.technicien_inactivity_days, "warning_days": c.technicien_inactivity_warning_days,
            "caisse_name": c.name}


def inactivity_rules_by_partner(session: Session) -> dict[int, dict]:
    """partner id -> its inactivity rule, for the partners one of whose active conventions has one."""
    rows = session.execute(sa.select(Convention.partner_id, Caisse).join(Caisse, Convention.caisse_id == Caisse.id)
                           .where(access.in_force(), Caisse.technicien_inactivity.is_(True)))
    caisses: dict[int, list[Caisse]] = {}
    for partner_id, caisse in rows:
        caisses.setdefault(partner_id, []).append(caisse)
    return {partner_id: inactivity_rule(found) for partner_id, found in caisses.items()}
