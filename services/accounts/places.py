"""The places (client addresses, as the web sees them) an account's last successful sign-ins came from,
so that a lock set by a stranger elsewhere does not keep the owner out of where they usually sign in
(services.accounts.throttle). Only a keyed hash of each address is kept (settings.sign_in_key): the
database does not tell where anyone connects from. The last settings.KNOWN_PLACES are remembered.
"""
import hashlib
import hmac
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.accounts import settings
from services.accounts.models import Account, KnownPlace
from services.accounts.upsert import insert_missing


def of(address: str) -> str | None:
    """The keyed hash of a client address (None when the web gave none)."""
    address = (address or "").strip()[:64]
    if not address:
        return None
    return hmac.new(settings.sign_in_key(), b"place\n" + address.encode(), hashlib.sha256).hexdigest()


def known(session: Session, email: str, place: str | None) -> bool:
    """Whether an account of this email address recently signed in from there (the same query, known or not)."""
    if place is None:
        return False
    return session.scalar(sa.select(KnownPlace.id).join(Account, Account.id == KnownPlace.account_id)
                          .where(Account.email == email, KnownPlace.place == place).limit(1)) is not None


def of_account(session: Session, account: Account) -> list[str]:
    return list(session.scalars(sa.select(KnownPlace.place).where(KnownPlace.account_id == account.id)))


def remember(session: Session, account: Account, place: str | None, now: datetime) -> None:
    """After a successful sign-in (the caller commits): this place, and forget the oldest beyond the last few."""
    if place is None:
        return
    insert_missing(session, KnownPlace, account_id=account.id, place=place, seen_at=now)
    session.execute(sa.update(KnownPlace).where(KnownPlace.account_id == account.id, KnownPlace.place == place)
                    .values(seen_at=now).execution_options(synchronize_session=False))
    keep = sa.select(KnownPlace.id).where(KnownPlace.account_id == account.id) \
        .order_by(KnownPlace.seen_at.desc(), KnownPlace.id.desc()).limit(settings.KNOWN_PLACES)
    session.execute(sa.delete(KnownPlace).where(KnownPlace.account_id == account.id, KnownPlace.id.not_in(keep))
                    .execution_options(synchronize_session=False))
