"""Limitation of guessing (CNIL, ASVS 2.2.1): 3 free failures, then a growing delay,
then a lock of 15 minutes after 10. Wrong passwords and wrong second-factor codes
(at login and when confirming one's identity) count together, on the account."""
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from contracts.dates import datetime_fr_at
from contracts.errors import LoginThrottled
from services.accounts import audit, settings
from services.accounts.models import Account


def check(accounts: list[Account], now: datetime) -> None:
    """Refuse before checking the password or code while a delay or a lock runs."""
    for account in accounts:
        if account.locked_until and account.locked_until > now:
            raise LoginThrottled(
                f"Compte temporairement verrouillé après {settings.LOCK_AFTER_FAILURES} échecs de connexion, "
                f"jusqu'au {datetime_fr_at(account.locked_until)}. Vous pouvez aussi utiliser « Mot de passe oublié ».",
                account.locked_until.isoformat() + "Z")
        extra = account.failed_logins - settings.FREE_FAILURES
        if extra >= 0 and account.last_failed_login_at:
            until = account.last_failed_login_at + min(timedelta(seconds=2 ** (extra + 1)), settings.MAX_DELAY)
            if until > now:
                raise LoginThrottled(
                    f"Trop de tentatives infructueuses : patientez jusqu'à "
                    f"{datetime_fr_at(until)[-5:]}:{until.second:02d} avant de réessayer.", until.isoformat() + "Z")


def failed(session: Session, accounts: list[Account], now: datetime, action: str = "login_failed") -> None:
    """Count a failure (committed), locking the account at the tenth."""
    for account in accounts:
        account.failed_logins += 1
        account.last_failed_login_at = now
        audit.record(session, action, actor=None, target=account, details=f"échec n° {account.failed_logins}")
        if account.failed_logins >= settings.LOCK_AFTER_FAILURES:
            account.locked_until = now + settings.LOCK_DURATION
            account.failed_logins = 0
            audit.record(session, "login_locked", actor=None, target=account,
                         details=f"jusqu'au {datetime_fr_at(account.locked_until)}")
    session.commit()
