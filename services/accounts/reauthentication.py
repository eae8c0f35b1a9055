"""Re-authentication before sensitive actions (ASVS 2.2.x/3.7.1): creating or
inactivating accounts needs a proof of identity no older than
``EP_REAUTH_MINUTES`` (5): the login itself, or the password or a second-factor
code typed again. The proof is kept on the server-side session
(``UserSession.reauthenticated_at``): a stolen session cookie alone does not
create or remove accounts once its proof has aged.
"""
import re

from sqlalchemy.orm import Session

from contracts.errors import InvalidCredentials, ReauthenticationRequired
from services.accounts import audit, passwords, second_factor, settings, throttle
from services.accounts.models import Account, UserSession, utcnow


def require_recent(session: Session, who: dict) -> None:
    row = session.get(UserSession, who.get("session_id"))
    proved = row.reauthenticated_at if row is not None else None
    if proved is None or utcnow() - proved > settings.reauthentication_window():
        raise ReauthenticationRequired()


def confirm(session: Session, account: Account, who: dict, proof: str) -> dict:
    """The password, or (enrolled accounts) a 6-digit code: no password is 6 digits long (12 at least)."""
    now, counter = utcnow(), throttle.for_account(account)
    throttle.check(session, counter, now)
    proof = proof or ""
    if second_factor.enrolled(account) and re.fullmatch(r"\d{6}", re.sub(r"\s", "", proof)):
        # Six digits are never a recovery code: nothing to tell by email (the empty emit list).
        accepted = second_factor.accept(session, account, proof, now, []) == "totp"
    else:
        accepted = passwords.verify_password(account.password_hash, proof)
    if not accepted:
        throttle.failed(session, counter, [account], now, "reauthentication_failed")
        raise InvalidCredentials("Mot de passe ou code incorrect.")
    throttle.succeeded(session, counter)
    row = session.get(UserSession, who["session_id"])
    row.reauthenticated_at = now
    audit.record(session, "reauthenticated", actor=account, target=account)
    session.commit()
    return {"reauthenticated_at": now.isoformat() + "Z",
            "valid_minutes": int(settings.reauthentication_window().total_seconds() // 60)}
