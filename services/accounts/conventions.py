"""Conventions between a partner and a caisse, as the agreements write them.

- A SIRET already known, registered by another caisse, becomes a *proposal*: the proposing
  caisse sees only the partner's name and the proposal's status until a gestionnaire of the
  partner accepts it (audited) or refuses it; exactly one answer wins.
- Rights come from conventions in force only (services.accounts.access.in_force).
- Suspension is per convention: a caisse cuts the partner's access to itself; the partner's
  users keep their other caisses, and their sessions end only when none is left. Cutting a
  structure off every caisse is the national administrator's (Partner.suspended_at).
- Tacit renewal: on its end date the convention renews for a year unless notice was given (by
  the caisse, or recorded on the partner's behalf); without tacit renewal it ends on that date.
  Its agents and the partner's gestionnaires are emailed ``EP_CONVENTION_END_NOTICE_DAYS`` before.
Sweeps claim each change by a conditional UPDATE: two instances change and email once.
"""
import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts import events
from contracts.catalogue import FEATURES
from contracts.dates import date_fr
from contracts.errors import NotFound, RuleViolation, ValidationFailed
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, GESTIONNAIRE
from services.accounts import access, audit, sessions, settings
from services.accounts.directory import recipient
from services.accounts.habilitation import _active, inactivate_all_of_partner
from services.accounts.models import Account, Convention, Partner, utcnow
from services.accounts.sweeps import _claim

STATES = {
    "proposed": "Proposition en attente de la réponse de la structure",
    "refused": "Proposition refusée par la structure",
    "upcoming": "Signée, pas encore commencée",
    "in_force": "En vigueur",
    "suspended": "En vigueur, accès du partenaire suspendu par la caisse",
    "ended": "Terminée",
}
NOTICE_BY = {"caisse": "par la caisse", "partner": "par la structure (enregistré par la caisse)"}
REFERENT_FIELDS = ("name", "function", "phone", "email")


def state(c: Convention, today: date | None = None) -> str:
    today = today or date.today()
    if c.status != "active":
        return c.status
    if c.start_date > today:
        return "upcoming"
    if c.end_date and c.end_date < today and not (c.tacit_renewal and c.notice_given_at is None):
        return "ended"
    return "suspended" if c.suspended_at else "in_force"


def convention_row(c: Convention) -> dict:
    current = state(c)
    return {"id": c.id, "caisse_code": c.caisse.code, "caisse_name": c.caisse.name,
            "start_date": c.start_date.isoformat(), "end_date": c.end_date.isoformat() if c.end_date else None,
            "tacit_renewal": c.tacit_renewal, "features": c.features, "status": c.status,
            "state": current, "state_label": STATES[current], "in_force": current in ("in_force", "suspended"),
            "suspended": c.suspended_at is not None,
            "notice_given": c.notice_given_at is not None, "notice_by": c.notice_by,
            "notice_label": NOTICE_BY.get(c.notice_by or "", ""),
            "partner_referent": {k: (c.partner_referent or {}).get(k, "") for k in REFERENT_FIELDS},
            "proposed_by": c.proposed_by_name, "answered_by": c.answered_by_name}


def limited_row(partner: Partner, c: Convention) -> dict:
    """What a caisse without a convention in force sees of a partner: its name and the status."""
    current = state(c)
    return {"id": partner.id, "name": partner.name, "limited": True, "convention_id": c.id,
            "state": current, "state_label": STATES[current], "start_date": c.start_date.isoformat()}


def _caisse_agents(session: Session, caisse_id: int) -> list[Account]:
    return list(session.scalars(sa.select(Account).where(Account.caisse_id == caisse_id, Account.status == "active",
                                                         Account.profile == AGENT_CAISSE).order_by(Account.id)))


def _email(emit: list, event_type: str, event_id: str, people: list[Account], c: Convention, **fields) -> None:
    if people:
        emit.append((event_type, {"event_id": event_id, "recipients": [recipient(p) for p in people],
                                  "caisse_name": c.caisse.name, "partner_name": c.partner.name, **fields}))


# --- proposals --------------------------------------------------------------------------------

def propose(session: Session, actor: Account, partner: Partner, terms: dict, emit: list) -> dict:
    """The agent's caisse proposes a convention to a partner it does not have (a known SIRET).
    Nothing of the partner's record is changed, nothing of its staff is shown."""
    mine = session.scalars(sa.select(Convention).where(Convention.partner_id == partner.id,
                                                       Convention.caisse_id == actor.caisse_id,
                                                       Convention.status.in_(("active", "proposed")))).first()
    if mine is not None and mine.status == "proposed":
        raise RuleViolation("Une proposition de convention de votre caisse attend déjà la réponse de cette structure.")
    if mine is not None:
        raise RuleViolation("Ce partenaire (même SIRET) a déjà une convention avec votre caisse.")
    convention = Convention(partner_id=partner.id, caisse_id=actor.caisse_id, status="proposed",
                            proposed_by_name=actor.full_name, **terms)
    session.add(convention)
    session.flush()
    session.refresh(convention)
    audit.record(session, "convention_proposed", actor=actor, partner_id=partner.id, caisse_id=actor.caisse_id,
                 details=f"à compter du {terms['start_date']:%d/%m/%Y}")
    _email(emit, events.CONVENTION_PROPOSED, f"proposal:{convention.id}", _active(session, partner.id, GESTIONNAIRE),
           convention, start_date=convention.start_date.isoformat())
    session.commit()
    return limited_row(partner, convention)


def partner_conventions(session: Session, actor: Account) -> list[dict]:
    """The gestionnaire's view: every convention of its structure, proposals first."""
    rows = session.scalars(sa.select(Convention).where(Convention.partner_id == actor.partner_id)
                           .order_by(Convention.id.desc()))
    found = [convention_row(c) for c in rows]
    return sorted(found, key=lambda r: r["status"] != "proposed")


def answer_proposal(session: Session, actor: Account, convention_id, accept: bool, emit: list) -> dict:
    """A gestionnaire of the partner accepts or refuses; of two answers at once, exactly one counts."""
    convention = access.by_id(session, Convention, convention_id)
    if convention is None or convention.partner_id != actor.partner_id:
        raise NotFound("Proposition introuvable.")
    claimed = session.execute(sa.update(Convention).where(Convention.id == convention.id,
                                                          Convention.status == "proposed")
                              .values(status="active" if accept else "refused", answered_at=utcnow(),
                                      answered_by_name=actor.full_name)).rowcount
    if claimed != 1:
        session.rollback()
        raise RuleViolation("Cette proposition de convention a déjà reçu une réponse.")
    session.refresh(convention)
    audit.record(session, "convention_accepted" if accept else "convention_refused", actor=actor,
                 partner_id=convention.partner_id, caisse_id=convention.caisse_id, details=convention.caisse.name)
    _email(emit, events.CONVENTION_ANSWERED, f"proposal:{convention.id}:answer",
           _caisse_agents(session, convention.caisse_id), convention, accepted=bool(accept))
    session.commit()
    return convention_row(convention)


# --- the caisse's changes -----------------------------------------------------------------------

def set_features(session: Session, actor: Account, convention_id, features: list[str]) -> dict:
    convention = access.own_convention(session, actor, convention_id)
    convention.features = [f for f in features if f in FEATURES]
    if not convention.features:
        session.rollback()
        raise ValidationFailed(None, {"features": "Activez au moins une fonctionnalité."})
    audit.record(session, "convention_features", actor=actor, partner_id=convention.partner_id,
                 caisse_id=convention.caisse_id, details=", ".join(convention.features))
    session.commit()
    return convention_row(convention)


def _referent(data, errors: dict) -> dict:
    given = data if isinstance(data, dict) else {}
    values = {k: " ".join(str(given.get(k) or "").split())[:120] for k in REFERENT_FIELDS}
    values["email"] = values["email"].lower()
    if any(values.values()):
        if not values["name"]:
            errors["referent_name"] = "Référent : le nom est obligatoire."
        if values["email"] and not re.fullmatch(r"[^@\s]+@[a-z0-9-]+(\.[a-z0-9-]+)+", values["email"]):
            errors["referent_email"] = "Référent : adresse électronique invalide."
        if values["phone"] and not re.fullmatch(r"(0\d{9}|\+\d{8,15})", re.sub(r"[\s.\-]", "", values["phone"])):
            errors["referent_phone"] = "Référent : 10 chiffres (ex. 01 23 45 67 89) ou format international."
        if not (values["email"] or values["phone"]):
            errors["referent_email"] = "Référent : une adresse électronique ou un téléphone."
    return values


def update_convention(session: Session, actor: Account, convention_id, data: dict) -> dict:
    """End date, tacit renewal, notice (``"caisse"``, ``"partner"`` or ``""`` to withdraw it) and the
    partner's referent for the convention; only the fields given change. Audited."""
    convention = access.own_convention(session, actor, convention_id)
    errors: dict = {}
    end, tacit = convention.end_date, convention.tacit_renewal
    if "end_date" in data:
        try:
            end = date.fromisoformat(str(data["end_date"])) if data["end_date"] else None
        except ValueError:
            errors["end_date"] = "Date de fin : une date valide."
        else:
            if end and end <= convention.start_date:
                errors["end_date"] = "La date de fin suit la date de début."
            elif end and end < date.today():
                errors["end_date"] = "La date de fin ne peut pas être passée : mettez plutôt fin à la convention."
    if "tacit_renewal" in data:
        tacit = bool(data["tacit_renewal"])
    notice = data.get("notice", convention.notice_by or "")
    if notice not in ("", *NOTICE_BY):
        errors["notice"] = "Préavis : choisissez dans la liste."
    elif notice and not tacit:
        errors["notice"] = "Sans reconduction tacite, la convention prend fin à sa date de fin : aucun préavis."
    elif notice and not end:
        errors["notice"] = "Un préavis suppose une date de fin : renseignez-la."
    referent = _referent(data["partner_referent"], errors) if "partner_referent" in data else None
    if errors:
        raise ValidationFailed(None, errors)
    changes = []
    if end != convention.end_date:
        convention.end_date = end
        changes.append(f"fin au {end:%d/%m/%Y}" if end else "sans date de fin")
    if tacit != convention.tacit_renewal:
        convention.tacit_renewal = tacit
        changes.append("reconduction tacite" if tacit else "sans reconduction tacite")
    if notice != (convention.notice_by or ""):
        convention.notice_by, convention.notice_given_at = notice or None, utcnow() if notice else None
        changes.append(f"préavis {NOTICE_BY[notice]}" if notice else "préavis retiré")
    if referent is not None and referent != (convention.partner_referent or {}):
        convention.partner_referent = referent
        changes.append(f"référent de la structure : {referent['name'] or 'aucun'}")
    if changes:
        audit.record(session, "convention_updated", actor=actor, partner_id=convention.partner_id,
                     caisse_id=convention.caisse_id, details=", ".join(changes))
    session.commit()
    return convention_row(convention)


def end_convention(session: Session, actor: Account | None, convention_id, emit: list,
                   convention: Convention | None = None) -> None:
    """The partner's accounts are inactivated only if no other convention stays active;
    otherwise only access to that caisse ends (the convention is no longer active)."""
    convention = convention or access.own_convention(session, actor, convention_id)
    # Claimed atomically: two sweeps (or an agent and a sweep) never end it twice.
    claimed = session.execute(sa.update(Convention).where(Convention.id == convention.id, Convention.status == "active")
                              .values(status="ended", ended_at=utcnow())).rowcount
    if claimed != 1:
        raise RuleViolation("Cette convention est déjà terminée.")
    session.refresh(convention)
    if convention.end_date is None or convention.end_date > date.today():
        convention.end_date = date.today()
    audit.record(session, "convention_ended", actor=actor, partner_id=convention.partner_id,
                 caisse_id=convention.caisse_id, details=f"{convention.caisse.name}")
    others = session.scalars(sa.select(Convention).where(Convention.partner_id == convention.partner_id,
                                                         Convention.status == "active")).first()
    if others is None:
        inactivate_all_of_partner(session, actor, convention.partner, "fin_convention", emit)
    session.commit()


def open_caisses(session: Session, partner: Partner) -> list[Convention]:
    """The conventions through which the partner's users reach a caisse today."""
    if partner.suspended_at is not None:
        return []
    return list(session.scalars(sa.select(Convention).where(Convention.partner_id == partner.id, access.open_to_partner())
                                .order_by(Convention.id)))


def set_suspended(session: Session, actor: Account, partner: Partner, suspended: bool, emit: list) -> Convention | None:
    """A caisse cuts the partner's access to itself (its convention in force); the national admin
    cuts the structure off every caisse. Sessions end only when no caisse is left."""
    if actor.profile == ADMIN_NATIONAL:
        target, convention = partner, None
    else:
        convention = session.scalars(sa.select(Convention).where(Convention.partner_id == partner.id,
                                                                 Convention.caisse_id == actor.caisse_id,
                                                                 access.in_force())).first()
        if convention is None:
            raise NotFound("Convention introuvable.")
        target = convention
    if (target.suspended_at is not None) == suspended:
        raise RuleViolation("L'accès est déjà suspendu." if suspended else "L'accès n'est pas suspendu.")
    target.suspended_at = utcnow() if suspended else None
    session.flush()
    if suspended and not open_caisses(session, partner):      # reinstating must not bring old sessions back
        for account_id in session.scalars(sa.select(Account.id).where(Account.partner_id == partner.id)):
            sessions.end_all(session, account_id, "suspended")
    caisse_name = convention.caisse.name if convention else ""
    audit.record(session, "partner_suspended" if suspended else "partner_reinstated", actor=actor,
                 partner_id=partner.id, caisse_id=actor.caisse_id, details=caisse_name or "toutes les caisses")
    gestionnaires = _active(session, partner.id, GESTIONNAIRE)
    if gestionnaires:
        emit.append((events.PARTNER_ACCESS_CHANGED, {
            "event_id": f"access:{partner.id}:{convention.id if convention else 'all'}:{target.suspended_at or utcnow()}",
            "recipients": [recipient(g) for g in gestionnaires], "partner_name": partner.name,
            "caisse_name": caisse_name, "suspended": suspended}))
    session.commit()
    return convention


# --- sweeps -------------------------------------------------------------------------------------

def renew_or_end(session: Session, emit: list, today: date | None = None) -> int:
    """Conventions past their end date: renewed a year on (tacit renewal, no notice), or ended."""
    today = today or date.today()
    due = list(session.scalars(sa.select(Convention).where(Convention.status == "active",
                                                           Convention.end_date.is_not(None),
                                                           Convention.end_date < today)))
    changed = 0
    for convention in due:
        if convention.tacit_renewal and convention.notice_given_at is None:
            old, end = convention.end_date, convention.end_date
            while end < today:
                end = _a_year_on(end)
            if _claim(session, Convention, convention.id, Convention.end_date == old, end_date=end):
                audit.record(session, "convention_renewed", partner_id=convention.partner_id,
                             caisse_id=convention.caisse_id, details=f"jusqu'au {end:%d/%m/%Y}")
                changed += 1
            session.commit()
            continue
        try:
            end_convention(session, None, convention.id, emit, convention=convention)
            changed += 1
        except RuleViolation:           # another instance ended it first
            session.rollback()
    return changed


def _a_year_on(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:                  # 29 February
        return day + timedelta(days=365)


def warn_coming_ends(session: Session, emit: list, today: date | None = None) -> int:
    """Once per end date: the caisse's agents and the partner's gestionnaires, N days before."""
    today = today or date.today()
    horizon = datetime.combine(today, datetime.min.time()) + settings.convention_end_notice()
    not_sent = sa.or_(Convention.end_notice_sent_for.is_(None), Convention.end_notice_sent_for != Convention.end_date)
    due = list(session.scalars(sa.select(Convention).where(
        Convention.status == "active", Convention.end_date.is_not(None), Convention.end_date >= today,
        Convention.end_date <= horizon.date(), not_sent,
        sa.or_(Convention.tacit_renewal.is_(False), Convention.notice_given_at.is_not(None)))))
    count = 0
    for convention in due:
        if not _claim(session, Convention, convention.id, not_sent, end_notice_sent_for=convention.end_date):
            continue
        people = _caisse_agents(session, convention.caisse_id) + _active(session, convention.partner_id, GESTIONNAIRE)
        _email(emit, events.CONVENTION_ENDING, f"ending:{convention.id}:{convention.end_date.isoformat()}", people,
               convention, end_date=convention.end_date.isoformat())
        audit.record(session, "convention_end_notice", partner_id=convention.partner_id,
                     caisse_id=convention.caisse_id, details=f"fin le {date_fr(convention.end_date)}")
        count += 1
    session.commit()
    return count

