"""Limitation of guessing (CNIL, ASVS 2.2.1): 3 free failures, then a growing delay,
then a lock of 15 minutes after 10.

Counters are keyed, not attached to accounts (issue 16, no enumeration, no lock-out by strangers):
- at login, by the normalised email address whether or not an account has it, so an unknown address
  is slowed and locked after the same tries, with the same words, as a real one;
- except from a place (client address) the account has recently signed in from
  (services.accounts.places): there the address and that place have their own counter, so a stranger
  who locks the address elsewhere does not lock its owner out, while their own failures still count;
- when signed in (current password, re-authentication, second-factor codes), by the account.
Wrong passwords and wrong codes of a sign-in count together on the counter its first step chose.
A counter is changed by single conditional UPDATEs (failures = failures + 1), never read-modify-write
in Python: parallel failures all count, on SQLite and PostgreSQL.
"""
import hashlib
import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts.dates import datetime_fr_at
from contracts.errors import LoginThrottled
from services.accounts import audit, settings
from services.accounts.models import Account, SignInCounter
from services.accounts.upsert import insert_missing
from services.common.metrics import LOGIN_FAILURES, LOGIN_LOCKS


def key(*parts) -> str:
    return hmac.new(settings.sign_in_key(), "\n".join(["counter", *map(str, parts)]).encode(),
                    hashlib.sha256).hexdigest()


def for_address(email: str, place: str | None = None) -> str:
    """The sign-in counter of an email address (known or not), or of that address from a known place."""
    return key("address", email, place) if place else key("address", email)


def for_account(account: Account) -> str:
    """The counter of guesses made while signed in."""
    return key("account", account.id)


def check(session: Session, counter: str, now: datetime) -> None:
    """Refuse before checking the password or code while a delay or a lock runs."""
    row = session.execute(sa.select(SignInCounter.failures, SignInCounter.last_failure_at, SignInCounter.locked_until)
                          .where(SignInCounter.key == counter)).first()
    if row is None:
        return
    failures, last_failure_at, locked_until = row
    if locked_until and locked_until > now:
        raise LoginThrottled(
            f"Compte temporairement verrouillé après {settings.LOCK_AFTER_FAILURES} échecs de connexion, "
            f"jusqu'au {datetime_fr_at(locked_until)}. Vous pouvez aussi utiliser « Mot de passe oublié ».",
            locked_until.isoformat() + "Z")
    extra = failures - settings.FREE_FAILURES
    if extra >= 0 and last_failure_at:
        until = last_failure_at + min(timedelta(seconds=2 ** (extra + 1)), settings.MAX_DELAY)
        if until > now:
            raise LoginThrottled(
                f"Trop de tentatives infructueuses : patientez jusqu'à "
                f"{datetime_fr_at(until)[-5:]}:{until.second:02d} avant de réessayer.", until.isoformat() + "Z")


def failed(session: Session, counter: str, accounts: list[Account], now: datetime,
           action: str = "login_failed") -> None:
    """Count a failure (committed) in one statement, locking at the tenth; journaled on the accounts, if any."""
    insert_missing(session, SignInCounter, key=counter, failures=0)
    locking = SignInCounter.failures + 1 >= settings.LOCK_AFTER_FAILURES
    failures, locked_until = session.execute(
        sa.update(SignInCounter).where(SignInCounter.key == counter).values(
            failures=sa.case((locking, 0), else_=SignInCounter.failures + 1),
            locked_until=sa.case((locking, now + settings.LOCK_DURATION), else_=SignInCounter.locked_until),
            last_failure_at=now)
        .returning(SignInCounter.failures, SignInCounter.locked_until)
        .execution_options(synchronize_session=False)).one()
    LOGIN_FAILURES.labels(action).inc()
    if not failures:
        LOGIN_LOCKS.labels(action).inc()
    for account in accounts:
        audit.record(session, action, actor=None, target=account,
                     details=f"échec n° {failures or settings.LOCK_AFTER_FAILURES}")
        if not failures:
            audit.record(session, "login_locked", actor=None, target=account,
                         details=f"jusqu'au {datetime_fr_at(locked_until)}")
    session.commit()


def succeeded(session: Session, counter: str) -> None:
    """A right password or code: its counter's delays start again. A lock is never lifted here: a sign-in
    from a known place must not open the address to the stranger who locked it elsewhere."""
    session.execute(sa.update(SignInCounter).where(SignInCounter.key == counter, SignInCounter.failures > 0)
                    .values(failures=0).execution_options(synchronize_session=False))


def clear(session: Session, counters: list[str]) -> None:
    """A new password (changed, or reset from the mailbox): the counters start again, locks included."""
    session.execute(sa.delete(SignInCounter).where(SignInCounter.key.in_(counters))
                    .execution_options(synchronize_session=False))
