"""Server-side sessions of the web (ASVS V3).

The web owns no data, so its sessions live here: login opens one with a fresh
random token (session fixation is impossible: the browser never chooses it),
the web's cookie holds only that token, and every web request resumes the
session through ``resume`` — the one accounts call a page already made. A
session ends at logout, after the idle or absolute timeout, and for every
session of the account when its password changes or it is inactivated.

Calls acting for someone carry the session's row id in the signed identity
(``session_id``), never the token; ``require_open`` refuses them once the
session has ended.
"""
import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from contracts.dates import datetime_fr_at
from contracts.errors import AccountInactive, NotAuthenticated
from services.accounts import audit, change_notices, settings
from services.accounts.models import Account, UserSession, utcnow
from services.common.metrics import Gauge

ENDED_MESSAGE = "Votre session a pris fin : reconnectez-vous."
# What the person is told at the next request, by why the session ended.
ENDED_BECAUSE = {
    "idle": "Votre session a expiré après une période d'inactivité : reconnectez-vous.",
    "expired": "Votre session a atteint sa durée maximale : reconnectez-vous.",
    "password": "Le mot de passe du compte a été changé : reconnectez-vous.",
    "others": "Votre session a été fermée depuis une autre session : reconnectez-vous.",
    "email": "L'adresse électronique du compte a été changée : reconnectez-vous avec la nouvelle adresse.",
}
# last_seen_at is written at most once a minute: a page is not a database write.
TOUCH_EVERY = timedelta(seconds=60)

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device_label(user_agent: str) -> str:
    """What the "Mon compte" list shows of a session: browser and system, nothing finer."""
    user_agent = str(user_agent or "")[:512]
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return f"{browser} sous {system}"
    return browser or system or re.sub(r"[^\w .-]", "", user_agent)[:40] or "Appareil inconnu"


def _hash(token: str) -> str:
    return hashlib.sha256(str(token or "").encode()).hexdigest()


def open_session(session: Session, account_id: int, device: str, now: datetime,
                 login_ticket: str | None = None) -> tuple[str, UserSession]:
    """A new session (committed by the caller, with the login it belongs to). ``login_ticket``: the nonce of
    the ticket the login came back with; a ticket that already opened a session raises IntegrityError here."""
    token = secrets.token_urlsafe(32)
    # Opened right after a full login: that is the first proof of identity (services.accounts.reauthentication).
    row = UserSession(token_hash=_hash(token), account_id=account_id, created_at=now, last_seen_at=now,
                      device=device_label(device), reauthenticated_at=now, login_ticket=login_ticket)
    session.add(row)
    session.flush()
    return token, row


def _timed_out(row: UserSession, now: datetime) -> str | None:
    if now - row.created_at > settings.session_max_age():
        return "expired"
    if now - row.last_seen_at > settings.session_idle():
        return "idle"
    return None


def _end(row: UserSession, reason: str, now: datetime) -> None:
    row.ended_at, row.end_reason = now, reason
    change_notices.noted(sa.orm.object_session(row), row.account_id)


def _refused(reason: str | None) -> Exception:
    if reason == "inactivated":
        return AccountInactive()
    if reason == "suspended":
        return AccountInactive("L'accès de votre structure à l'Espace Partenaires a été suspendu par la caisse.")
    return NotAuthenticated(ENDED_BECAUSE.get(reason, ENDED_MESSAGE))


def _open_row(session: Session, row: UserSession | None, now: datetime) -> UserSession:
    if row is None:
        raise _refused(None)
    if row.ended_at is not None:
        raise _refused(row.end_reason)
    reason = _timed_out(row, now)
    if reason:
        _end(row, reason, now)
        session.commit()
        raise _refused(reason)
    return row


# Built once (every page runs it); its account, with its caisse and partner, in the same statement.
_BY_TOKEN = (sa.select(UserSession).options(joinedload(UserSession.account))
             .where(UserSession.token_hash == sa.bindparam("token_hash")))


def resume(session: Session, token: str) -> UserSession:
    """The session a web request presents, still open; it counts as activity. Its account comes with it:
    every page reads it next, from the session's identity map."""
    now = utcnow()
    row = _open_row(session, session.scalars(_BY_TOKEN, {"token_hash": _hash(token)}).first(), now)
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    return row


def require_open(session: Session, who: dict) -> UserSession:
    """The session a signed identity names, still open and the identity's own."""
    session_id = who.get("session_id")
    row = session.get(UserSession, session_id) if isinstance(session_id, int) else None
    if row is not None and row.account_id != who.get("id"):
        row = None
    return _open_row(session, row, utcnow())


def current(session: Session, who: dict) -> Account:
    """The caller's own account, which must still be active, acting through a
    session that is still open (a call from an ended session is refused)."""
    require_open(session, who)
    account = session.get(Account, who["id"])
    if account is None or account.status != "active":
        raise NotAuthenticated()
    return account


def log_out(session: Session, actor: Account, session_id: int) -> None:
    """The session ends here, so a copy of the cookie opens nothing afterwards."""
    end(session, session.get(UserSession, session_id), "logout")
    audit.record(session, "logout", actor=actor, target=actor)
    session.commit()


def end_others(session: Session, actor: Account, current_id: int) -> int:
    """"Déconnecter mes autres sessions": every open session of the account but this one; how many ended."""
    ended = end_all(session, actor.id, "others", keep=current_id)
    audit.record(session, "other_sessions_ended", actor=actor, target=actor, details=f"{ended} session(s)")
    session.commit()
    return ended


def end(session: Session, row: UserSession, reason: str) -> None:
    if row.ended_at is None:
        _end(row, reason, utcnow())


def end_all(session: Session, account_id: int, reason: str, keep: int | None = None) -> int:
    """End every open session of the account (but ``keep``); the caller commits."""
    query = sa.update(UserSession).where(UserSession.account_id == account_id, UserSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep)
    ended = session.execute(query.values(ended_at=utcnow(), end_reason=reason)).rowcount
    if ended:
        change_notices.noted(session, account_id)
    return ended


def listing(session: Session, account_id: int, current_id: int | None) -> list[dict]:
    """The account's open sessions, the current one first, for "Mon compte"."""
    now = utcnow()
    rows = session.scalars(sa.select(UserSession).where(UserSession.account_id == account_id,
                                                        UserSession.ended_at.is_(None))
                           .order_by(UserSession.last_seen_at.desc()))
    open_rows = [r for r in rows if _timed_out(r, now) is None]
    open_rows.sort(key=lambda r: r.id != current_id)
    return [{"id": r.id, "device": r.device, "current": r.id == current_id,
             "created_at": r.created_at.isoformat() + "Z", "created_at_label": datetime_fr_at(r.created_at),
             "last_seen_at": r.last_seen_at.isoformat() + "Z", "last_seen_at_label": datetime_fr_at(r.last_seen_at)}
            for r in open_rows]


def purge_ended(session: Session, emit: list | None = None, now: datetime | None = None) -> int:
    """Ended or abandoned sessions are kept a month (who logged in from what), then deleted."""
    now = now or utcnow()
    horizon = now - timedelta(days=30)
    deleted = session.execute(sa.delete(UserSession).where(sa.or_(
        UserSession.ended_at < horizon, UserSession.last_seen_at < horizon))).rowcount
    session.commit()
    return deleted


def open_sessions_probe(session: Session):
    """Metrics (services.common.metrics): the sessions still open, neither ended nor timed out."""
    now = utcnow()
    count = session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(
        UserSession.ended_at.is_(None), UserSession.last_seen_at >= now - settings.session_idle(),
        UserSession.created_at >= now - settings.session_max_age()))
    yield Gauge("ep_sessions_open", "Sessions ouvertes (ni fermées ni expirées)", {}, count)
