"""Logging in (with throttling and profile choice), the steps due at login
(CGU, expired password), password changes and single-use password links."""
import hashlib
import secrets
import time
import uuid
from datetime import date, datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, object_session

from contracts import events, identity
from contracts.errors import (AccountInactive, InvalidCredentials, InvalidToken, NotAuthenticated,
                              ProfileChoiceRequired, SecondFactorRequired, ValidationFailed)
from contracts.profiles import PROFILE_LABELS
from services.accounts import access, audit, passwords, places, second_factor, sessions, settings, throttle
from services.accounts.caisse_settings import inactivity_rule
from services.accounts.directory import recipient
from services.accounts.models import Account, Convention, PasswordHistory, PasswordToken, UserSession, utcnow

SECOND_FACTOR_TICKET_SECONDS = 300
TICKET_SPENT = "Cette étape de connexion a déjà servi : reconnectez-vous."
Emit = list    # domain functions append (event_type, payload); services.common.event_outbox.Emit writes the row


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _active_caisses(session: Session, account: Account) -> list[dict]:
    if account.partner_id is None:
        return []
    if account.partner.suspended_at is not None:      # cut off every caisse (national admin)
        return []
    rows = session.scalars(_active_conventions(date.today()), {"partner_id": account.partner_id})
    return [{"code": c.caisse.code, "name": c.caisse.name, "features": c.features,
             "technicien_inactivity": inactivity_rule([c.caisse])} for c in rows]


@lru_cache(maxsize=2)
def _active_conventions(today: date):
    """The statement of ``_active_caisses``, built once a day: every page's session check runs it, and
    building its conditions costs more than running it."""
    return (sa.select(Convention).where(Convention.partner_id == sa.bindparam("partner_id"), access.open_to_partner(today))
            .options(joinedload(Convention.caisse)).order_by(Convention.id))


def pending_steps(account: Account, now: datetime | None = None) -> list[str]:
    """What must be done before anything else: accept the CGU, renew the password,
    enrol a second factor when the profile requires one."""
    now = now or utcnow()
    steps = []
    if account.cgu_version != settings.cgu_version():
        steps.append("cgu")
    days = settings.password_renewal_days(account.profile)
    if days and account.password_changed_at and account.password_changed_at + timedelta(days=days) < now:
        steps.append("password_expired")
    return steps + second_factor.pending_step(object_session(account), account)


def summary(session: Session, account: Account, caisses: list[dict] | None = None) -> dict:
    """contracts.schemas.AccountSummary, plus what the session needs (``caisses``: its active caisses,
    when the caller has just read them)."""
    caisses = _active_caisses(session, account) if caisses is None else caisses
    caisse = account.caisse
    return {
        "id": account.id,
        "email": account.email,
        "civility": account.civility,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "function": account.function,
        "phone": account.phone,
        "profile": account.profile,
        "profile_label": PROFILE_LABELS[account.profile],
        "caisse_admin": bool(account.caisse_admin),       # « administrateur de caisse » (services.accounts.staff)
        "caisse_code": caisse.code if caisse else None,
        "caisse_name": caisse.name if caisse else (caisses[0]["name"] if caisses else None),
        "caisses": caisses,
        "partner_id": account.partner_id,
        "partner_name": account.partner.name if account.partner else None,
        "habilitated_body": bool(account.partner and account.partner.habilitated_body),
        "pending": pending_steps(account),
        "second_factor": second_factor.enrolled(account),
    }


def current_account(session: Session, who: dict) -> dict:
    """The signed identity's account, through its still open session."""
    row = sessions.require_open(session, who)
    return _resumed(session, row)


def resume_session(session: Session, token: str) -> dict:
    """Each web request: the session its cookie names, still open, and its account's fresh summary."""
    return _resumed(session, sessions.resume(session, token))


def _resumed(session: Session, row) -> dict:
    account = session.get(Account, row.account_id)
    if account is None:
        raise NotAuthenticated()
    # Every web request comes here: the active caisses are read once, for the check and the summary.
    return {**summary(session, account, _check_may_log_in(session, account)), "session_id": row.id}


def _check_may_log_in(session: Session, account: Account) -> list[dict]:
    """The account's active caisses, if it may sign in (AccountInactive otherwise)."""
    if account.status != "active":
        raise AccountInactive()
    caisses = _active_caisses(session, account)
    if account.partner_id is not None:
        if not caisses:
            suspended = account.partner.suspended_at is not None or session.scalar(sa.select(Convention.id).where(
                Convention.partner_id == account.partner_id, access.in_force()))
            raise AccountInactive("L'accès de votre structure à l'Espace Partenaires est suspendu par la caisse."
                                  if suspended else "Votre structure n'a plus de convention active avec une caisse.")
    return caisses


def _logged_in(session: Session, account: Account, now: datetime, where: dict, secret: str) -> dict:
    """The summary, with a new session: its token (for the web's cookie only) and its id (for identities).
    An account with a second factor gets, instead, a ticket to come back with its code."""
    _check_may_log_in(session, account)
    if second_factor.enrolled(account):
        ticket = _login_ticket({"second_factor": account.id, "password": password_version(account)}, where, secret,
                               SECOND_FACTOR_TICKET_SECONDS)
        raise SecondFactorRequired(None, ticket)
    return _open(session, account, now, where)


def password_version(account: Account) -> str:
    """What a login ticket is bound to: a ticket issued before a password change (or reset) opens nothing."""
    return hashlib.sha256((account.password_hash or "").encode()).hexdigest()[:16]


def _still_valid(session: Session, account: Account, versions: list, where: dict, now: datetime) -> None:
    """A ticket's second step: the password it proved is still the account's, and no delay or lock runs."""
    if password_version(account) not in versions:
        raise InvalidCredentials("Le mot de passe a changé entre-temps : reconnectez-vous.")
    if session.scalar(sa.select(UserSession.id).where(UserSession.login_ticket == where["ticket"])):
        raise InvalidCredentials(TICKET_SPENT)            # asked before the code is spent; the index has the last word
    throttle.check(session, where["counter"], now)


def _where(email: str, device: str, address: str, session: Session) -> dict:
    """What the login's steps carry along (in their tickets): the user agent, the keyed hash of the
    client address, and the throttle counter that applies: the address's own from a place an account
    of it recently signed in from, else the one shared by every other place (where a lock applies)."""
    place = places.of(address)
    known = places.known(session, email, place)
    return {"device": (device or "")[:512], "place": place,
            "counter": throttle.for_address(email, place if known else None)}


def _open(session: Session, account: Account, now: datetime, where: dict) -> dict:
    # A sign-in restarts the delays of the counter it went through, and never lifts a lock (issue 16).
    throttle.check(session, where["counter"], now)        # locked by parallel failures meanwhile?
    throttle.succeeded(session, where["counter"])
    places.remember(session, account, where["place"], now)
    account.last_login_at, account.activity_at, account.inactivity_warned_at = now, now, None
    try:
        token, row = sessions.open_session(session, account.id, where["device"], now, where.get("ticket"))
    except sa.exc.IntegrityError:
        session.rollback()
        raise InvalidCredentials(TICKET_SPENT) from None
    audit.record(session, "login", actor=account, target=account, details=row.device)
    session.commit()
    return {**summary(session, account), "session_id": row.id, "session_token": token}


def authenticate(session: Session, email: str, password: str, secret: str, device: str = "",
                 address: str = "") -> dict:
    """Same error, the same delays and lock, and the same cost, for an unknown email and a wrong password
    (issue 16): the throttle counts by address whether or not an account has it, and an unknown address
    costs a hash too. ``address`` is the client's, as the web sees it (services.accounts.places)."""
    now, email = utcnow(), normalise_email(email)
    where = _where(email, device, address, session)
    throttle.check(session, where["counter"], now)
    accounts = list(session.scalars(sa.select(Account).where(Account.email == email).order_by(Account.id)))
    matching = [a for a in accounts if passwords.verify_password(a.password_hash, password or "")]
    if not accounts:
        passwords.verify_password(None, password or "")          # the work of a wrong password
    if not matching:
        throttle.failed(session, where["counter"], accounts, now)
        raise InvalidCredentials()
    if len(matching) > 1:
        ticket = _login_ticket({"choice": [a.id for a in matching],
                                "passwords": [password_version(a) for a in matching]}, where, secret, 300)
        raise ProfileChoiceRequired(None, [{"profile": a.profile, "label": PROFILE_LABELS[a.profile]}
                                           for a in matching], ticket)
    return _logged_in(session, matching[0], now, where, secret)


def _login_ticket(claims: dict, where: dict, secret: str, ttl: int) -> str:
    """A ticket to come back with (the code, the profile): what the password proved, where the login comes
    from, and a nonce of its own that the session it opens keeps (sessions.login_ticket, unique): a ticket
    opens one session, however often and however fast it is sent again."""
    return identity.sign_ticket({**claims, "device": where["device"], "place": where["place"],
                                 "counter": where["counter"], "nonce": secrets.token_hex(16)}, secret, ttl=ttl)


def _ticket(ticket: str, secret: str, key: str, expired: Exception):
    """-> (what the ticket names, the password versions it proved, where the login comes from and its nonce)."""
    try:
        proof = identity.verify_ticket(ticket, secret)
        where = {"device": proof.get("device", ""), "place": proof.get("place"), "counter": proof["counter"],
                 "ticket": proof["nonce"]}
        return proof[key], proof.get("passwords") or [proof.get("password")], where
    except (NotAuthenticated, KeyError):
        raise expired


def authenticate_choice(session: Session, ticket: str, profile: str, secret: str) -> dict:
    """Second step when one email holds several accounts: the ticket proves the password."""
    ids, versions, where = _ticket(ticket, secret, "choice",
                                   InvalidCredentials("Le délai de choix du profil est dépassé : reconnectez-vous."))
    account = session.scalars(sa.select(Account).where(Account.id.in_(ids), Account.profile == profile)).first()
    if account is None:
        raise InvalidCredentials("Profil inconnu pour ce compte.")
    now = utcnow()
    _still_valid(session, account, versions, where, now)
    return _logged_in(session, account, now, where, secret)


def authenticate_second_factor(session: Session, ticket: str, code: str, secret: str, emit: Emit) -> dict:
    """Last step for an account with a second factor: the ticket proves the password, the code the
    authenticator (or a recovery code). Wrong codes are throttled with wrong passwords."""
    account_id, versions, where = _ticket(ticket, secret, "second_factor",
                                          NotAuthenticated("Le délai de saisie du code est dépassé : reconnectez-vous."))
    account = session.get(Account, account_id)
    if account is None:
        raise InvalidCredentials()
    _check_may_log_in(session, account)
    _still_valid(session, account, versions, where, utcnow())
    second_factor.prove(session, account, code, emit, where["counter"])
    return _open(session, account, utcnow(), where)


def accept_cgu(session: Session, account: Account, version: str) -> dict:
    if version != settings.cgu_version():
        raise ValidationFailed("Les conditions générales ont changé : relisez la version en vigueur.")
    account.cgu_version = version
    audit.record(session, "cgu_accepted", actor=account, target=account, details=f"version {version}")
    session.commit()
    return summary(session, account)


# --- passwords --------------------------------------------------------------------------------

def _history(session: Session, account: Account) -> list[str]:
    rows = session.scalars(sa.select(PasswordHistory.password_hash).where(PasswordHistory.account_id == account.id)
                           .order_by(PasswordHistory.id.desc()).limit(settings.PASSWORD_HISTORY))
    current = [account.password_hash] if account.password_hash else []
    return (current + list(rows))[: settings.PASSWORD_HISTORY]


def check_new_password(session: Session | None, account: Account | None, password: str,
                       email: str = "", names: tuple = ()) -> list[str]:
    if account is not None:
        email, names = account.email, (account.first_name, account.last_name)
    problems = passwords.violations(password, email, names)
    if not problems and account is not None and session is not None and passwords.reused(password, _history(session, account)):
        problems.append("Ce mot de passe a déjà été utilisé récemment : choisissez-en un nouveau.")
    return problems


def _require_acceptable(session: Session, account: Account, password: str) -> None:
    problems = check_new_password(session, account, password)
    if problems:
        raise ValidationFailed("Le mot de passe ne respecte pas les règles.", {"password": " ".join(problems)})


def _set_password(session: Session, account: Account, password: str, emit: Emit, hashed: str | None = None,
                  keep_session: int | None = None) -> None:
    """``hashed``: the new password, checked and hashed before the caller's transaction began."""
    if hashed is None:
        _require_acceptable(session, account, password)
        hashed = passwords.hash_password(password)
    now = utcnow()
    if account.password_hash:
        session.add(PasswordHistory(account_id=account.id, password_hash=account.password_hash))
    account.password_hash = hashed
    account.password_changed_at = now
    # A new password (from a session, or from the mailbox through a link): its counters start again.
    throttle.clear(session, [throttle.for_account(account), throttle.for_address(account.email)]
                   + [throttle.for_address(account.email, place) for place in places.of_account(session, account)])
    # Any outstanding link is void once the password changes.
    session.execute(sa.update(PasswordToken).where(PasswordToken.account_id == account.id,
                                                   PasswordToken.used_at.is_(None)).values(used_at=now))
    # Every session ends (ASVS 3.3.3), but the one that just proved the current password.
    sessions.end_all(session, account.id, "password", keep=keep_session)
    audit.record(session, "password_changed", actor=account, target=account)
    emit.append((events.PASSWORD_CHANGED, {"event_id": str(uuid.uuid4()), "recipients": [recipient(account)],
                                           "changed_at": now.isoformat() + "Z"}))


def change_password(session: Session, account: Account, current_password: str, new_password: str, emit: Emit,
                    keep_session: int | None = None) -> dict:
    # Guessing the current password from a session left open counts like guessing it at login:
    # the same delays and lock, each failure in the journal.
    now = utcnow()
    counter = throttle.for_account(account)
    throttle.check(session, counter, now)
    if not passwords.verify_password(account.password_hash, current_password or ""):
        throttle.failed(session, counter, [account], now, "password_change_failed")
        raise ValidationFailed("Le mot de passe actuel est incorrect.",
                               {"current_password": "Le mot de passe actuel est incorrect."})
    _set_password(session, account, new_password, emit, keep_session=keep_session)
    session.commit()
    return summary(session, account)


def _token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def issue_token(session: Session, account: Account, purpose: str, emit: Emit) -> None:
    """A new single-use link (voiding the previous ones), emailed through the notifier."""
    now = utcnow()
    session.execute(sa.update(PasswordToken).where(PasswordToken.account_id == account.id,
                                                   PasswordToken.used_at.is_(None)).values(used_at=now))
    token = secrets.token_urlsafe(32)
    validity = settings.invitation_validity() if purpose == "invitation" else settings.reset_validity()
    expires_at = now + validity
    session.add(PasswordToken(account_id=account.id, token_hash=_token_hash(token), purpose=purpose,
                              expires_at=expires_at))
    payload = {"event_id": str(uuid.uuid4()), "recipients": [recipient(account)], "token": token,
               "expires_at": expires_at.isoformat() + "Z"}
    if purpose == "invitation":
        organisation = account.partner.name if account.partner else (account.caisse.name if account.caisse else "")
        emit.append((events.ACCOUNT_INVITED, {**payload, "profile_label": PROFILE_LABELS[account.profile],
                                              "organisation": organisation,
                                              "second_factor_required": second_factor.required(session, account)}))
    else:
        emit.append((events.PASSWORD_RESET_REQUESTED, payload))


def claim_link(session: Session, account: Account) -> bool:
    """Whether a link asked for now may be emailed to ``account``: one per settings.reset_link_every at most,
    whoever asks (the person a reset, their gestionnaire or caisse the invitation again), so that no one can
    use the official sender to flood an address. A conditional update: of parallel asks, one is sent."""
    now = utcnow()
    return bool(session.execute(sa.update(Account).where(
        Account.id == account.id, sa.or_(Account.reset_requested_at.is_(None),
                                         Account.reset_requested_at <= now - settings.reset_link_every()))
        .values(reset_requested_at=now).execution_options(synchronize_session=False)).rowcount)


def request_password_reset(session: Session, email: str, emit: Emit) -> None:
    """Silent about unknown emails (no account enumeration), and about requests that come too often:
    one link per account per settings.reset_link_every, claimed by a conditional update so that
    parallel requests send one email. Answered after settings.RESET_ANSWER_SECONDS, known or not."""
    started = time.monotonic()
    for account in session.scalars(sa.select(Account).where(Account.email == normalise_email(email),
                                                            Account.status == "active",
                                                            Account.password_hash.is_not(None))):
        if claim_link(session, account):
            issue_token(session, account, "reset", emit)
            audit.record(session, "password_reset_requested", actor=account, target=account)
    session.commit()
    time.sleep(max(0.0, settings.RESET_ANSWER_SECONDS - (time.monotonic() - started)))   # green in the service


def _token(session: Session, token: str) -> PasswordToken | None:
    return session.scalars(sa.select(PasswordToken).where(PasswordToken.token_hash == _token_hash(token))).first()


def token_info(session: Session, token: str) -> dict:
    """What the page a link opens needs to know: is it usable, or may a new one be asked?"""
    row = _token(session, token)
    if row is None or row.used_at is not None:
        return {"state": "invalid", "purpose": row.purpose if row else None}
    account = session.get(Account, row.account_id)
    if row.expires_at < utcnow():
        return {"state": "expired", "purpose": row.purpose}
    return {"state": "valid", "purpose": row.purpose, "first_name": account.first_name, "email": account.email,
            "expires_at": row.expires_at.isoformat() + "Z"}


def set_password_with_token(session: Session, token: str, new_password: str, emit: Emit) -> None:
    row = _token(session, token)
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise InvalidToken()
    account = session.get(Account, row.account_id)
    _require_acceptable(session, account, new_password)
    # Hashed first: the link is then claimed and the password written in one short transaction (on SQLite,
    # a hash made while holding the write lock would hold every other writer for its duration).
    hashed = passwords.hash_password(new_password)
    # Claim the link atomically: of two simultaneous uses, one wins.
    claimed = session.execute(sa.update(PasswordToken).where(PasswordToken.id == row.id, PasswordToken.used_at.is_(None))
                              .values(used_at=utcnow())).rowcount
    if claimed != 1 or account.status != "active":
        session.rollback()
        raise InvalidToken()
    _set_password(session, account, new_password, emit, hashed=hashed)
    session.commit()


def renew_expired_invitation(session: Session, token: str, emit: Emit) -> None:
    """From the page an expired invitation opens: a fresh link to the same address."""
    row = _token(session, token)
    if row is None or row.purpose != "invitation" or row.used_at is not None or row.expires_at >= utcnow():
        raise InvalidToken("Ce lien ne permet pas de demander une nouvelle invitation.")
    account = session.get(Account, row.account_id)
    if account.status != "active" or account.password_hash:
        raise InvalidToken("Ce compte n'attend plus d'activation.")
    issue_token(session, account, "invitation", emit)
    audit.record(session, "invitation_resent", actor=account, target=account, details="à la demande de la personne")
    session.commit()
