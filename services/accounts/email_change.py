"""Changing the address of an account, whoever changes it (a caisse editing a gestionnaire or an agent,
a caisse applying a partner's « correction » request): the one place that does it (issue 16).

The address is the account's login and where its links go, so a change is a takeover path unless
the old address hears of it (and can raise the alarm), every session of the account ends and every
pending activation or reset link stops working (they were sent to the old address). An account not
yet activated gets a fresh invitation at its new address (that email is its new address's notice).

The address rules live here too (professional addresses, the partner's domains, one account of a
profile per address): habilitation and staff check new accounts with them.
"""
import re
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts import events
from contracts.errors import ValidationFailed
from contracts.profiles import ADMIN_NATIONAL, PROFILE_LABELS
from services.accounts import audit, sessions, settings
from services.accounts.authentication import issue_token, normalise_email
from services.accounts.directory import recipient
from services.accounts.models import Account, Partner, PasswordToken, utcnow


def email_problem(email: str, partner: Partner | None) -> str | None:
    """Professional addresses only; a partner may restrict them to its own domains."""
    if len(email) > 254 or not re.fullmatch(r"[^@\s]+@[a-z0-9-]+(\.[a-z0-9-]+)+", email):
        return "Adresse électronique invalide."
    domain = email.rsplit("@", 1)[1]
    if domain in settings.PERSONAL_EMAIL_DOMAINS:
        return "Une adresse électronique professionnelle est exigée (pas de messagerie personnelle)."
    allowed = partner.email_domains.split() if partner and partner.email_domains else []
    if allowed and not any(domain == d or domain.endswith("." + d) for d in allowed):
        return f"L'adresse doit appartenir à la structure ({', '.join(allowed)})."
    return None


def unique_email(session: Session, email: str, profile: str, exclude_id: int | None = None) -> None:
    query = sa.select(Account.id).where(Account.email == email, Account.profile == profile)
    if exclude_id:
        query = query.where(Account.id != exclude_id)
    if session.scalar(query):
        raise ValidationFailed(None, {"email": f"Un compte {PROFILE_LABELS[profile].lower()} existe déjà avec cette adresse."})


def changes(account: Account, data) -> bool:
    """Would this edit give the account another address? (Then the caller wants a recent proof first.)"""
    return isinstance(data, dict) and "email" in data and normalise_email(str(data["email"] or "")) != account.email


def masked(email: str) -> str:
    """``a…@domaine.fr``: the old address learns where its account went without the whole new address."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def change_email(session: Session, actor: Account | None, account: Account, new_email: str, emit: list) -> bool:
    """Give ``account`` the address ``new_email`` (checked: ValidationFailed on "email"); False if unchanged.

    Tells the old address (EMAIL_CHANGED) and the new one (EMAIL_CHANGED_NEW, or a fresh invitation
    for an account not yet activated), ends every session of the account, voids its pending links,
    and journals it. ``actor`` None: the system. The caller commits (with its own changes), and
    asks for a recent proof of identity before (the RPC methods do, services.accounts.service).
    """
    new_email = normalise_email(new_email)
    old_email = account.email
    if new_email == old_email:
        return False
    problem = email_problem(new_email, account.partner)
    if problem:
        raise ValidationFailed(None, {"email": problem})
    unique_email(session, new_email, account.profile, exclude_id=account.id)
    now = utcnow()
    told_old = {**recipient(account), "email": old_email}
    account.email = new_email
    # Links sent to the old address open nothing any more; whoever is signed in signs in again.
    session.execute(sa.update(PasswordToken).where(PasswordToken.account_id == account.id,
                                                   PasswordToken.used_at.is_(None)).values(used_at=now))
    ended = sessions.end_all(session, account.id, "email")
    audit.record(session, "email_changed", actor=actor, target=account,
                 details=f"{masked(old_email)} → {new_email}, {ended} session(s) fermée(s)")
    changed = {"changed_at": now.isoformat() + "Z", "changed_by": _who(actor, account)}
    emit.append((events.EMAIL_CHANGED, {"event_id": str(uuid.uuid4()), "recipients": [told_old],
                                        "new_email": masked(new_email), **changed}))
    if account.password_hash is None:
        issue_token(session, account, "invitation", emit)
    else:
        emit.append((events.EMAIL_CHANGED_NEW, {"event_id": str(uuid.uuid4()), "recipients": [recipient(account)],
                                                **changed}))
    return True


def _who(actor: Account | None, account: Account) -> str:
    """Who made the change, as the emails say it."""
    if actor is None:
        return "la plateforme"
    if actor.id == account.id:
        return "vous-même"
    if actor.profile == ADMIN_NATIONAL:
        return "l'administrateur national de l'Espace Partenaires"
    return actor.caisse.name if actor.caisse is not None else "votre gestionnaire"
