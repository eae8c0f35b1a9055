"""Habilitation: creating gestionnaires (caisse) and techniciens (gestionnaire)
within the caps, invitations, edits, inactivation and reactivation, the
habilitation table and its reviews."""
import math
import re
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts import events, text
from contracts.catalogue import AGENT_INACTIVATION_REASONS, IMMEDIATE_REASONS, INACTIVATION_REASONS, REPORTED
from contracts.civilities import CIVILITIES
from contracts.dates import datetime_fr
from contracts.spreadsheet import french_csv
from contracts.errors import CapReached, NotAuthorized, RuleViolation, ValidationFailed
from contracts.profiles import AGENTS, PARTNER_USERS, PROFILE_LABELS
from services.accounts import audit, row_locks, sessions, settings
from services.accounts.authentication import claim_link, issue_token, normalise_email, recipient
from services.accounts.caisse_settings import technicien_caps_apply
from services.accounts.directory import referents_of
from services.accounts.email_change import change_email, email_problem, unique_email
from services.accounts.models import Account, Caisse, HabilitationReview, Partner, utcnow

REASONS = INACTIVATION_REASONS


def cap(profile: str, member_count: int) -> int:
    """The agreements' caps by the structure's member count."""
    table = {"gestionnaire": (2, 3, 5), "technicien": (5, 15, 25)}[profile]
    return table[0] if member_count <= 10 else table[1] if member_count <= 25 else table[2]


def _active(session: Session, partner_id: int, profile: str) -> list[Account]:
    return list(session.scalars(sa.select(Account).where(Account.partner_id == partner_id, Account.profile == profile,
                                                         Account.status == "active").order_by(Account.id)))


def _cap_row(session: Session, partner: Partner, profile: str, active: int) -> dict:
    limit = cap(profile, partner.member_count) \
        if profile != "technicien" or technicien_caps_apply(session, partner.id) else None
    return {"active": active, "max": limit, "over": limit is not None and active > limit}


def _lock_partner(session: Session, partner_id: int) -> None:
    """Before counting its active accounts (caps, last gestionnaire): parallel changes of one partner's
    accounts pass the check one after the other, each seeing the others' results (issue 16)."""
    row_locks.lock(session, Partner.name, partner_id)


def free_places(session: Session, partner: Partner, profile: str) -> int | None:
    """Under the partner's lock: how many more active accounts of ``profile`` its cap allows (None: no cap)."""
    if profile == "technicien" and not technicien_caps_apply(session, partner.id):
        return None
    return max(0, cap(profile, partner.member_count) - len(_active(session, partner.id, profile)))


def _check_cap(session: Session, partner: Partner, profile: str) -> None:
    """Under the partner's lock (_lock_partner)."""
    if profile == "technicien" and not technicien_caps_apply(session, partner.id):
        return                  # every caisse of the partner has switched the technicien caps off
    limit, active = cap(profile, partner.member_count), len(_active(session, partner.id, profile))
    if active >= limit:
        noun = "gestionnaires" if profile == "gestionnaire" else "techniciens"
        over = f" : {active} sont actifs, au-delà du plafond" if active > limit else ""
        raise CapReached(f"Le nombre maximal de {noun} actifs pour {partner.name} est atteint "
                         f"({limit} pour {partner.member_count} membre{'s' if partner.member_count > 1 else ''}{over}). "
                         "Inactivez un compte avant d'en créer ou d'en réactiver un autre.")


# --- identity fields -----------------------------------------------------------------------

def _person_fields(data: dict, partner: Partner | None) -> dict:
    errors: dict = {}
    values = {k: text.clean(str(data.get(k) or "")) for k in
              ("civility", "last_name", "first_name", "function", "phone", "email")}
    values["email"] = normalise_email(values["email"])
    if values["civility"] not in CIVILITIES:
        errors["civility"] = "Civilité : M. ou Mme."
    for key, label in (("last_name", "Nom"), ("first_name", "Prénom"), ("function", "Fonction")):
        if not values[key]:
            errors[key] = f"{label} : ce champ est obligatoire."
        elif len(values[key]) > 80 or not re.fullmatch(r"[^\d<>{}\[\]\\/@#$%^*=+|~]+", values[key]):
            errors[key] = f"{label} : lettres, espaces, apostrophes et tirets, 80 caractères au maximum."
    phone = re.sub(r"[\s.\-]", "", values["phone"])
    if not re.fullmatch(r"(0\d{9}|\+\d{8,15})", phone):
        errors["phone"] = "Téléphone : 10 chiffres (ex. 01 23 45 67 89) ou format international."
    values["phone"] = phone
    error = email_problem(values["email"], partner)
    if error:
        errors["email"] = error
    if errors:
        raise ValidationFailed(None, errors)
    return values


# --- creation and invitations ----------------------------------------------------------------

def create_account(session: Session, actor: Account, partner: Partner, profile: str, data: dict, emit: list,
                   commit: bool = True) -> dict:
    """Agents habilitate gestionnaires; gestionnaires create techniciens. Both get an invitation.
    ``commit=False``: part of a larger change (a partner's habilitation request approved) that commits it."""
    if (profile, actor.profile) not in (("gestionnaire", "agent_caisse"), ("gestionnaire", "admin_national"),
                                        ("technicien", "gestionnaire")):
        raise NotAuthorized()
    values = checked_new_person(session, partner, profile, data)
    gestionnaire_id = actor.id if profile == "technicien" else None
    account = Account(**values, profile=profile, partner_id=partner.id, created_by_id=actor.id,
                      created_by_name=actor.full_name, gestionnaire_id=gestionnaire_id)
    session.add(account)
    session.flush()
    account.partner = partner
    issue_token(session, account, "invitation", emit)
    audit.record(session, "account_created", actor=actor, target=account,
                 details=PROFILE_LABELS[profile])
    if commit:
        session.commit()
    return table_row(account)


def checked_new_person(session: Session, partner: Partner, profile: str, data: dict) -> dict:
    """A new account's person, checked as its creation checks it (fields, unique email, the cap): a
    partner's habilitation request is checked by these same rules when filed, and again when approved."""
    values = _person_fields(data, partner)
    _lock_partner(session, partner.id)          # the cap is counted under the partner's row lock
    unique_email(session, values["email"], profile)
    _check_cap(session, partner, profile)
    return values


def checked_edit(session: Session, account: Account, data: dict) -> dict:
    """The fields of ``data`` that would change ``account``, checked as an edit checks them."""
    values = _person_fields({**table_row(account), **data}, account.partner)
    unique_email(session, values["email"], account.profile, exclude_id=account.id)
    return {k: v for k, v in values.items() if getattr(account, k) != v}


def resend_invitation(session: Session, actor: Account, account: Account, emit: list) -> None:
    if account.status != "active":
        raise RuleViolation("Ce compte est inactif : réactivez-le avant de renvoyer le lien d'activation.")
    if account.password_hash:
        raise RuleViolation("Ce compte est déjà activé : la personne peut utiliser « Mot de passe oublié ».")
    if not claim_link(session, account):
        minutes = math.ceil(settings.reset_link_every().total_seconds() / 60)
        raise RuleViolation(f"Un lien d'activation vient d'être envoyé à cette adresse : attendez {minutes} minutes "
                            "avant d'en renvoyer un (vérifiez aussi le dossier des indésirables).")
    issue_token(session, account, "invitation", emit)
    audit.record(session, "invitation_resent", actor=actor, target=account)
    session.commit()


def edit_gestionnaire(session: Session, actor: Account, account: Account, data: dict, emit: list) -> dict:
    """Only the caisse edits a gestionnaire (name, function, phone, email), on the partner's request."""
    if actor.profile not in AGENTS or account.profile != "gestionnaire":
        raise NotAuthorized("Seule la caisse modifie le compte d'un gestionnaire.")
    edit_person(session, actor, account, data, emit)
    return table_row(account)


def edit_person(session: Session, actor: Account, account: Account, data: dict, emit: list) -> None:
    """Name, function, phone, email of an account (a gestionnaire's, an agent's), checked, audited, committed;
    a new address goes through email_change (the old one told, sessions and links ended)."""
    changed = checked_edit(session, account, data)
    for key, value in changed.items():
        if key != "email":
            setattr(account, key, value)
    if "email" in changed:
        change_email(session, actor, account, changed["email"], emit)
    audit.record(session, "account_edited", actor=actor, target=account, details=", ".join(changed))
    session.commit()


# --- inactivation ----------------------------------------------------------------------------

def _notify_inactivation(session: Session, account: Account, reason: str, emit: list) -> None:
    event_id = str(uuid.uuid4())
    if reason in IMMEDIATE_REASONS and account.partner_id:
        gestionnaires = [g for g in _active(session, account.partner_id, "gestionnaire") if g.id != account.id]
        # The only gestionnaire: its structure's referent and the caisse's referents hear of it instead.
        people = [recipient(g) for g in gestionnaires] or referents_of(session, account.partner,
                                                                        account.inactivated_by_caisse_id)
        if people:
            emit.append((events.FRAUD_INACTIVATION, {
                "event_id": event_id, "recipients": people, "to_referents": not gestionnaires,
                "account_name": account.full_name, "reason_label": REASONS[reason],
                "partner_name": account.partner.name}))
    else:
        emit.append((events.ACCOUNT_INACTIVATED, {"event_id": event_id, "recipients": [recipient(account)],
                                                  "reason_label": REASONS[reason]}))


def _inactivate(session: Session, actor: Account | None, account: Account, reason: str, emit: list,
                heir: Account | None = None) -> None:
    """``heir``: the gestionnaire its techniciens go to (a departure names one), else the first one left."""
    account.status, account.inactivated_at, account.inactivation_reason = "inactive", utcnow(), reason
    account.inactivated_by_caisse_id = actor.caisse_id if actor and reason in IMMEDIATE_REASONS else None
    sessions.end_all(session, account.id, "inactivated")
    audit.record(session, "account_inactivated", actor=actor, target=account, details=REASONS[reason])
    if account.profile == "gestionnaire" and account.partner_id:
        remaining = [g for g in _active(session, account.partner_id, "gestionnaire") if g.id != account.id]
        heir = heir or (remaining[0] if remaining else None)
        if heir:
            for technicien in session.scalars(sa.select(Account).where(Account.gestionnaire_id == account.id)):
                technicien.gestionnaire_id = heir.id
                audit.record(session, "account_reattached", actor=actor, target=technicien,
                             details=f"à {heir.full_name}")
    _notify_inactivation(session, account, reason, emit)


def _partner_account(account: Account) -> None:
    """Agents are the caisse's staff (services.accounts.staff: the last administrateur is kept)."""
    if account.profile not in PARTNER_USERS:
        raise NotAuthorized("Les agents de caisse se gèrent dans « Agents de la caisse ».")


def inactivate(session: Session, actor: Account, account: Account, reason: str, emit: list) -> dict:
    _partner_account(account)
    if account.partner_id:
        _lock_partner(session, account.partner_id)
        session.refresh(account)
    if account.status != "active":
        raise RuleViolation("Ce compte est déjà inactif.")
    if account.id == actor.id:
        raise RuleViolation("Vous ne pouvez pas inactiver votre propre compte.")
    allowed = ("gestionnaire",) if actor.profile == "gestionnaire" else AGENT_INACTIVATION_REASONS
    if reason not in allowed:
        raise ValidationFailed(None, {"reason": "Motif d'inactivation invalide."})
    if account.profile == "gestionnaire" and reason not in IMMEDIATE_REASONS:
        others = [g for g in _active(session, account.partner_id, "gestionnaire") if g.id != account.id]
        if not others:
            raise RuleViolation("C'est le dernier gestionnaire actif de la structure : habilitez d'abord un autre "
                                "gestionnaire avant d'inactiver celui-ci.")
    _inactivate(session, actor, account, reason, emit)
    session.commit()
    return table_row(account)


def inactivate_all_of_partner(session: Session, actor: Account | None, partner: Partner, reason: str, emit: list) -> None:
    for account in session.scalars(sa.select(Account).where(Account.partner_id == partner.id,
                                                            Account.status == "active")):
        account.status, account.inactivated_at, account.inactivation_reason = "inactive", utcnow(), reason
        sessions.end_all(session, account.id, "inactivated")
        audit.record(session, "account_inactivated", actor=actor, target=account, details=REASONS[reason])
        emit.append((events.ACCOUNT_INACTIVATED, {"event_id": str(uuid.uuid4()), "recipients": [recipient(account)],
                                                  "reason_label": REASONS[reason]}))


def fraud_inactivated(account: Account) -> bool:
    """Inactivated for fraud, loss or theft: lifting it is sensitive (a recent proof of identity)."""
    return account.status != "active" and account.inactivation_reason in IMMEDIATE_REASONS


def reactivate(session: Session, actor: Account, account: Account, on_report: bool = False, commit: bool = True) -> dict:
    """``on_report``: the caisse's decision on a partner's report of fraud, loss or theft, the only way
    back for a reported account."""
    _partner_account(account)
    _lock_partner(session, account.partner_id)
    session.refresh(account)
    if account.status == "active":
        raise RuleViolation("Ce compte est déjà actif.")
    if account.inactivation_reason == REPORTED and not on_report:
        raise RuleViolation("Une fraude, une perte ou un vol a été signalé pour ce compte : la caisse décide de sa "
                            "réactivation en traitant le signalement (« Demandes des partenaires »).")
    if account.inactivation_reason in IMMEDIATE_REASONS and actor.profile != "admin_national" and (
            actor.profile == "gestionnaire" or actor.caisse_id != account.inactivated_by_caisse_id):
        raise NotAuthorized("Ce compte a été inactivé pour fraude, perte ou vol : seule la caisse qui l'a inactivé "
                            "(ou l'administrateur national) peut le réactiver.")
    _check_cap(session, account.partner, account.profile)
    account.status, account.inactivated_at, account.inactivation_reason = "active", None, None
    account.inactivated_by_caisse_id = None
    account.activity_at, account.inactivity_warned_at = utcnow(), None   # a fresh inactivity period
    audit.record(session, "account_reactivated", actor=actor, target=account)
    if commit:
        session.commit()
    return table_row(account)


# --- the habilitation table -------------------------------------------------------------------

def table_row(account: Account) -> dict:
    return {"id": account.id, "civility": account.civility, "last_name": account.last_name,
            "first_name": account.first_name, "function": account.function, "phone": account.phone,
            "email": account.email, "profile": account.profile, "profile_label": PROFILE_LABELS[account.profile],
            "status": account.status,
            "activated": account.password_hash is not None,
            "created_by": account.created_by_name, "created_at": account.created_at.isoformat(),
            "gestionnaire_id": account.gestionnaire_id,
            "last_login_at": account.last_login_at.isoformat() if account.last_login_at else None,
            "inactivated_at": account.inactivated_at.isoformat() if account.inactivated_at else None,
            "inactivation_reason": REASONS.get(account.inactivation_reason or "", ""),
            "inactivation_reason_code": account.inactivation_reason,
            "second_factor": account.totp_secret is not None}


def table(session: Session, partner: Partner) -> dict:
    accounts = session.scalars(sa.select(Account).where(Account.partner_id == partner.id)
                               .order_by(Account.profile, Account.last_name, Account.first_name))
    rows = [table_row(a) for a in accounts]
    counts = {p: sum(1 for r in rows if r["profile"] == p and r["status"] == "active") for p in PARTNER_USERS}
    return {"partner": {"id": partner.id, "name": partner.name, "member_count": partner.member_count,
                        "habilitated_body": partner.habilitated_body, "suspended": partner.suspended_at is not None},
            "rows": rows,
            # Over: the member count was lowered below today's active accounts; nothing is inactivated, but
            # no account of that profile is added or reactivated until the count is under the cap.
            # No max: every caisse of the partner has switched the technicien caps off.
            "caps": {p: _cap_row(session, partner, p, counts[p]) for p in counts},
            "reviews": reviews(session, partner)}


CSV_COLUMNS = [("last_name", "Nom"), ("first_name", "Prénom"), ("email", "Adresse électronique"),
               ("function", "Fonction"), ("profile_label", "Profil"), ("status", "Statut"),
               ("created_by", "Créé par"), ("created_at", "Créé le"), ("last_login_at", "Dernière connexion")]


def table_csv(session: Session, partner: Partner) -> str:
    """For habilitation reviews: opened as is by a spreadsheet in French (contracts.spreadsheet)."""
    rows = ({**row, "status": "actif" if row["status"] == "active" else "inactif",
             "created_at": datetime_fr(row["created_at"]), "last_login_at": datetime_fr(row["last_login_at"])}
            for row in table(session, partner)["rows"])
    return french_csv([label for _, label in CSV_COLUMNS], ([row[key] or "" for key, _ in CSV_COLUMNS] for row in rows))


# --- reviews ---------------------------------------------------------------------------------

def review_row(r: HabilitationReview) -> dict:
    return {"id": r.id, "requested_at": r.requested_at.isoformat(), "requested_by": r.requested_by_name,
            "confirmed_at": r.confirmed_at.isoformat() if r.confirmed_at else None,
            "confirmed_by": r.confirmed_by_name}


def reviews(session: Session, partner: Partner) -> list[dict]:
    return [review_row(r) for r in session.scalars(sa.select(HabilitationReview).where(
        HabilitationReview.partner_id == partner.id).order_by(HabilitationReview.id.desc()).limit(20))]


def review_emails(session: Session, review: HabilitationReview, reminder: bool, emit: list, event_id: str) -> None:
    gestionnaires = _active(session, review.partner_id, "gestionnaire")
    if gestionnaires:
        emit.append((events.REVIEW_REQUESTED, {
            "event_id": event_id, "recipients": [recipient(g) for g in gestionnaires],
            "partner_name": session.get(Partner, review.partner_id).name,
            "caisse_name": session.get(Caisse, review.caisse_id).name, "reminder": reminder}))


def request_review(session: Session, actor: Account | None, partner: Partner, caisse_id: int, emit: list) -> dict:
    open_review = session.scalars(sa.select(HabilitationReview).where(
        HabilitationReview.partner_id == partner.id, HabilitationReview.confirmed_at.is_(None))).first()
    if open_review:
        raise RuleViolation("Une revue des habilitations est déjà en attente de confirmation pour ce partenaire.")
    review = HabilitationReview(partner_id=partner.id, caisse_id=caisse_id,
                                requested_by_name=actor.full_name if actor else "Demande périodique")
    session.add(review)
    session.flush()
    audit.record(session, "review_requested", actor=actor, partner_id=partner.id, caisse_id=caisse_id)
    review_emails(session, review, False, emit, f"review:{review.id}")
    session.commit()
    return review_row(review)


def confirm_review(session: Session, actor: Account) -> dict:
    if actor.profile != "gestionnaire":
        raise NotAuthorized()
    pending = list(session.scalars(sa.select(HabilitationReview).where(
        HabilitationReview.partner_id == actor.partner_id, HabilitationReview.confirmed_at.is_(None))))
    if not pending:
        raise RuleViolation("Aucune revue des habilitations n'est en attente.")
    for review in pending:
        review.confirmed_at, review.confirmed_by_name = utcnow(), actor.full_name
    audit.record(session, "review_confirmed", actor=actor, partner_id=actor.partner_id)
    session.commit()
    return review_row(pending[0])


def pending_invitations(session: Session, partner_ids: list[int] | None, created_by: int | None = None) -> list[dict]:
    query = sa.select(Account).where(Account.password_hash.is_(None), Account.status == "active").order_by(Account.created_at)
    if partner_ids is not None:
        query = query.where(Account.partner_id.in_(partner_ids))
    if created_by is not None:
        query = query.where(Account.created_by_id == created_by)
    return [{**table_row(a), "partner_name": a.partner.name if a.partner else ""} for a in session.scalars(query)]
