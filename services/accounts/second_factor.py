"""Second factor (ASVS 2.8): TOTP per RFC 6238 (SHA-1, 6 digits, 30 s, one step of
drift either way) from an authenticator app, and single-use recovery codes.

Every profile may enrol; national admins and caisse agents must, and so must the
gestionnaires of partners of a caisse that requires it (``Caisse.partners_second_factor``):
until they have, ``pending_step`` keeps them on the enrolment page. The secret is
sealed at rest (services.accounts.sealing) and shown only while enrolling; a code is
accepted once (the last accepted time step is kept); the 10 recovery codes are
shown once and kept as salted SHA-256. Wrong codes count with wrong passwords
(services.accounts.throttle).
"""
import hashlib
import hmac
import re
import secrets
import uuid
from datetime import datetime, timezone

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from contracts import events
from contracts.dates import datetime_fr_at
from contracts.errors import InvalidCredentials, RuleViolation, ValidationFailed
from services.accounts import audit, caisse_settings, sealing, throttle
from services.accounts.directory import recipient
from services.accounts.models import Account, RecoveryCode, utcnow

ISSUER = "Espace Partenaires"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
ALWAYS_REQUIRED = ("admin_national", "agent_caisse")
WRONG_CODE = "Code incorrect ou déjà utilisé."
ENROL_STEP = "second_factor"
Emit = list    # (event_type, payload) pairs, written to the outbox by the service (services.common.event_outbox)


# --- what applies to whom -----------------------------------------------------------------------

def enrolled(account: Account) -> bool:
    return account.totp_secret is not None


def required(session: Session, account: Account) -> bool:
    if account.profile in ALWAYS_REQUIRED:
        return True
    if account.profile != "gestionnaire" or account.partner_id is None:
        return False
    return caisse_settings.gestionnaires_second_factor_applies(session, account.partner_id)


def pending_step(session: Session, account: Account) -> list[str]:
    """The login step "enrol a second factor", when it is required and missing."""
    return [ENROL_STEP] if not enrolled(account) and required(session, account) else []


def _context(account: Account) -> str:
    return f"account:{account.id}"


def _uri(account: Account, secret: str) -> str:
    """otpauth:// for the QR code (Key Uri Format); the label names the profile: one address may hold two accounts."""
    return pyotp.TOTP(secret).provisioning_uri(name=f"{account.email} ({account.profile})", issuer_name=ISSUER)


def status(session: Session, account: Account) -> dict:
    pending = None
    if account.totp_pending_secret and not enrolled(account):
        secret = sealing.open_sealed(account.totp_pending_secret, _context(account))
        pending = {"secret": secret, "uri": _uri(account, secret)}
    left = session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)))
    result = {"enrolled": enrolled(account), "required": required(session, account),
              "enabled_at": account.totp_enabled_at.isoformat() + "Z" if account.totp_enabled_at else None,
              "enabled_at_label": datetime_fr_at(account.totp_enabled_at) if account.totp_enabled_at else None,
              "recovery_codes_left": left, "pending": pending, "partners_second_factor": None}
    if account.profile == "agent_caisse" and account.caisse is not None:
        result["partners_second_factor"] = account.caisse.partners_second_factor
    return result


# --- codes ----------------------------------------------------------------------------------------

def _step(now: datetime) -> int:
    """RFC 6238 time step of a naive UTC moment (as stored everywhere here)."""
    return int(now.replace(tzinfo=timezone.utc).timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step (within the drift) whose code this is, if later than ``after`` (replay guard)."""
    totp, current = pyotp.TOTP(secret), _step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_hash(salt: str, code: str) -> str:
    return hashlib.sha256((salt + code).encode()).hexdigest()


def _normal_recovery(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _tell(emit: Emit, account: Account, change: str, now: datetime) -> None:
    """The person is told by email of every change to their second factor (ASVS 2.2.3), and of a
    recovery code used: if it was not them, they warn their caisse."""
    emit.append((events.SECOND_FACTOR_CHANGED, {"event_id": str(uuid.uuid4()), "recipients": [recipient(account)],
                                                "change": change, "changed_at": now.isoformat() + "Z"}))


def accept(session: Session, account: Account, code: str, now: datetime, emit: Emit) -> str | None:
    """"totp" or "recovery" if ``code`` proves the second factor (and is spent: it will not be
    accepted again), None otherwise. The caller commits, and throttles failures."""
    if not enrolled(account):
        return None
    digits = re.sub(r"\s", "", code or "")
    if re.fullmatch(r"\d{6}", digits):
        step = _matching_step(sealing.open_sealed(account.totp_secret, _context(account)), digits, now,
                              account.totp_last_step)
        if step is None:
            return None
        # Spent by a conditional update: of the same code presented at once, one call moves the step.
        if not session.execute(sa.update(Account).where(
                Account.id == account.id, sa.or_(Account.totp_last_step.is_(None), Account.totp_last_step < step))
                .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount:
            return None
        set_committed_value(account, "totp_last_step", step)
        return "totp"
    typed = _normal_recovery(code)
    for row in session.scalars(sa.select(RecoveryCode).where(RecoveryCode.account_id == account.id,
                                                             RecoveryCode.used_at.is_(None))):
        if hmac.compare_digest(row.code_hash, _recovery_hash(row.salt, typed)):
            if not session.execute(sa.update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                                   .values(used_at=now).execution_options(synchronize_session=False)).rowcount:
                return None                     # spent meanwhile by a parallel call
            left = session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
                RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None), RecoveryCode.id != row.id))
            audit.record(session, "recovery_code_used", actor=account, target=account,
                         details=f"{left} code(s) de secours restant(s)")
            _tell(emit, account, "recovery_code_used", now)
            return "recovery"
    return None


def prove(session: Session, account: Account, code: str, emit: Emit, counter: str | None = None) -> str:
    """A code the person typed to act (login, disable, new recovery codes): throttled on the login's counter
    (``counter``) or else the account's, audited on failure."""
    now, counter = utcnow(), counter or throttle.for_account(account)
    throttle.check(session, counter, now)
    kind = accept(session, account, code, now, emit)
    if kind is None:
        throttle.failed(session, counter, [account], now, "second_factor_failed")
        raise InvalidCredentials(WRONG_CODE)
    throttle.succeeded(session, counter)
    return kind


def _new_recovery_codes(session: Session, account: Account) -> list[str]:
    """Ten fresh codes (the previous ones stop working), shown once: 10 characters, 50 bits each."""
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        code = "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(10))
        salt = secrets.token_hex(16)
        session.add(RecoveryCode(account_id=account.id, salt=salt, code_hash=_recovery_hash(salt, code)))
        codes.append(f"{code[:5]}-{code[5:]}")
    return codes


# --- enrolment and its end ----------------------------------------------------------------------

def begin(session: Session, account: Account) -> dict:
    """A new secret to scan, kept aside until a first code confirms it."""
    if enrolled(account):
        raise RuleViolation("La double authentification est déjà activée sur ce compte.")
    account.totp_pending_secret = sealing.seal(pyotp.random_base32(32), _context(account))     # 160 bits
    session.commit()
    return status(session, account)


def confirm(session: Session, account: Account, code: str, emit: Emit) -> list[str]:
    """The first code from the app proves it holds the secret: enrolled. Returns the recovery codes (once)."""
    if enrolled(account):
        raise RuleViolation("La double authentification est déjà activée sur ce compte.")
    if not account.totp_pending_secret:
        raise RuleViolation("Commencez par afficher le QR code à scanner.")
    secret = sealing.open_sealed(account.totp_pending_secret, _context(account))
    step = _matching_step(secret, re.sub(r"\s", "", code or ""), utcnow(), None)
    if step is None:
        raise ValidationFailed("Le code ne correspond pas.", {
            "code": "Code incorrect : saisissez les 6 chiffres affichés par l'application pour ce compte "
                    "(vérifiez aussi l'heure du téléphone)."})
    account.totp_secret, account.totp_pending_secret = account.totp_pending_secret, None
    account.totp_enabled_at, account.totp_last_step = utcnow(), step
    codes = _new_recovery_codes(session, account)
    audit.record(session, "second_factor_enrolled", actor=account, target=account, details="application TOTP")
    _tell(emit, account, "enrolled", account.totp_enabled_at)
    session.commit()
    return codes


def disable(session: Session, account: Account, code: str, emit: Emit) -> dict:
    if not enrolled(account):
        raise RuleViolation("La double authentification n'est pas activée sur ce compte.")
    if required(session, account):
        raise RuleViolation("La double authentification est obligatoire pour votre profil : elle ne peut pas "
                            "être désactivée.")
    prove(session, account, code, emit)
    _forget(session, account)
    audit.record(session, "second_factor_disabled", actor=account, target=account)
    _tell(emit, account, "disabled", utcnow())
    session.commit()
    return status(session, account)


def _forget(session: Session, account: Account) -> None:
    account.totp_secret = account.totp_pending_secret = account.totp_enabled_at = account.totp_last_step = None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.account_id == account.id))


def reset(session: Session, actor: Account, target: Account, emit: Emit) -> None:
    """Phone and recovery codes lost: whoever manages the account (its gestionnaire, its caisse, the national
    admin) removes the second factor, once they have made sure, out of band, that they speak to the person.
    If it is required, the person enrols again at the next login."""
    if not enrolled(target):
        raise RuleViolation("Ce compte n'a pas de double authentification active.")
    _forget(session, target)
    audit.record(session, "second_factor_reset", actor=actor, target=target)
    _tell(emit, target, "reset", utcnow())
    session.commit()


def renew_recovery_codes(session: Session, account: Account, code: str, emit: Emit) -> list[str]:
    if not enrolled(account):
        raise RuleViolation("La double authentification n'est pas activée sur ce compte.")
    prove(session, account, code, emit)
    codes = _new_recovery_codes(session, account)
    audit.record(session, "recovery_codes_renewed", actor=account, target=account)
    _tell(emit, account, "recovery_codes_renewed", utcnow())
    session.commit()
    return codes


def demo_enrol(account: Account, secret: str) -> None:
    """Demo data only (services.accounts.seed): a fixed, published secret."""
    account.totp_secret = sealing.seal(secret, _context(account))
    account.totp_enabled_at = utcnow()

