"""Who may log in, and the password-reset links."""
import hashlib
import secrets
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.errors import AccountInactive, NotAuthenticated, InvalidCredentials, InvalidToken, ValidationFailed
from services.accounts import passwords
from services.accounts.models import Account, PasswordToken, utcnow

RESET_LINK_VALIDITY = timedelta(hours=1)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def summary(account: Account) -> dict:
    """contracts.schemas.AccountSummary"""
    return {
        "id": account.id,
        "email": account.email,
        "civility": account.civility,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "profile": account.profile,
        "caisse_code": account.caisse.code if account.caisse else None,
        "caisse_name": account.caisse.name if account.caisse else None,
        "partner_id": account.partner_id,
        "partner_name": account.partner.name if account.partner else None,
    }


def current_account(session: Session, account_id: int) -> dict:
    account = session.get(Account, account_id)
    if account is None or account.status != "active":
        raise NotAuthenticated()
    return summary(account)


def authenticate(session: Session, email: str, password: str) -> dict:
    """Same error, and the same cost, for an unknown email and a wrong password."""
    account = session.scalars(
        sa.select(Account).where(Account.email == normalise_email(email)).order_by(Account.id)
    ).first()
    if not passwords.verify_password(account.password_hash if account else None, password or ""):
        raise InvalidCredentials()
    if account.status != "active":
        raise AccountInactive()
    account.last_login_at = utcnow()
    session.commit()
    return summary(account)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset_token(session: Session, email: str) -> dict | None:
    """Create a reset link for an active account; return the event payload
    (contracts.schemas.PasswordResetRequested), or None when there is no such account
    (the caller answers the same either way: no account enumeration)."""
    account = session.scalars(
        sa.select(Account).where(Account.email == normalise_email(email), Account.status == "active")
    ).first()
    if account is None:
        return None
    now = utcnow()
    # A new link voids the previous ones.
    session.execute(
        sa.update(PasswordToken)
        .where(PasswordToken.account_id == account.id, PasswordToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + RESET_LINK_VALIDITY
    session.add(PasswordToken(account_id=account.id, token_hash=_token_hash(token), purpose="reset",
                              expires_at=expires_at))
    session.commit()
    return {
        "event_id": str(uuid.uuid4()),
        "email": account.email,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "token": token,
        "expires_at": expires_at.isoformat() + "Z",
    }


def reset_password(session: Session, token: str, new_password: str) -> None:
    row = session.scalars(
        sa.select(PasswordToken).where(PasswordToken.token_hash == _token_hash(token or "")).with_for_update()
    ).first()
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise InvalidToken()
    violations = passwords.rule_violations(new_password or "")
    if violations:
        raise ValidationFailed(
            "Le mot de passe ne respecte pas les règles.",
            {"password": "Il manque : " + ", ".join(violations) + "."},
        )
    account = session.get(Account, row.account_id)
    now = utcnow()
    account.password_hash = passwords.hash_password(new_password)
    account.password_changed_at = now
    row.used_at = now
    session.commit()
