"""The accounts rules' settings, from the environment, with the agreements'
defaults. One place: every module reads its periods and limits from here."""
from datetime import timedelta

from services.common.config import env_duration, env_int, env_text


invitation_validity = env_duration("EP_INVITATION_DAYS", 7)
reset_validity = env_duration("EP_RESET_LINK_MINUTES", 60)
# At most one reset link per account in this time, however often it is asked: the official sender is no
# mail-bombing tool, and a new link would void the one the person is about to use.
reset_link_every = env_duration("EP_RESET_LINK_EVERY_SECONDS", 300)


def password_renewal_days(profile: str) -> int:
    """0 disables renewal for that profile (ASVS 2.1.10 / CNIL, when the caisse accepts it)."""
    return env_int(f"EP_PASSWORD_RENEWAL_DAYS_{profile.upper()}", env_int("EP_PASSWORD_RENEWAL_DAYS", 365))


PASSWORD_HISTORY = 5                      # a new password differs from the last five


def cgu_version() -> str:
    return env_text("EP_CGU_VERSION", "2026-01")


purge_after = env_duration("EP_PURGE_AFTER_DAYS", 183)                         # "6 mois"
review_period = env_duration("EP_REVIEW_PERIOD_DAYS", 365)
review_reminder_every = env_duration("EP_REVIEW_REMINDER_DAYS", 7)
# The caisse's agents and the partner's gestionnaires are emailed this long before a convention ends.
convention_end_notice = env_duration("EP_CONVENTION_END_NOTICE_DAYS", 30)


def sweep_interval_seconds() -> int:
    return env_int("EP_SWEEP_INTERVAL_SECONDS", 3600)


session_idle = env_duration("EP_SESSION_IDLE_MINUTES", 30)       # a session unused this long ends (ASVS 3.3.2)
session_max_age = env_duration("EP_SESSION_MAX_HOURS", 12)        # a session ends this long after login, used or not


# Login throttling (CNIL): free attempts, then a doubling delay, then a lock.
FREE_FAILURES = 3
LOCK_AFTER_FAILURES = 10
LOCK_DURATION = timedelta(minutes=15)
MAX_DELAY = timedelta(minutes=5)

# Personal webmail domains are refused: professional addresses only.
PERSONAL_EMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.fr", "yahoo.com", "hotmail.fr", "hotmail.com", "live.fr",
    "outlook.fr", "outlook.com", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net",
    "icloud.com", "me.com", "aol.com", "gmx.fr", "gmx.com", "proton.me", "protonmail.com", "bbox.fr",
    "neuf.fr", "numericable.fr",
})


# How recent a proof of identity must be for creating or inactivating accounts.
reauthentication_window = env_duration("EP_REAUTH_MINUTES", 5)


def sealing_key() -> str:
    """Seals the TOTP secrets at rest: EP_TOTP_KEY, or else EP_RPC_SECRET (which the service has anyway).
    Changing it makes every enrolled authenticator unusable (recovery codes still work)."""
    key = env_text("EP_TOTP_KEY") or env_text("EP_RPC_SECRET")
    if len(key) < 32:
        raise RuntimeError("EP_TOTP_KEY (ou à défaut EP_RPC_SECRET) doit compter 32 caractères au moins.")
    return key


# Password hashing (argon2id) in a bounded lane: at most this many hashes at once per instance (one core
# of two by default), as many waiting, each at most this long, before a call is refused (LoginThrottled):
# a flood of sign-ins never holds every worker and the session checks of signed-in people are answered.
def hashing_concurrency() -> int:
    return max(1, env_int("EP_HASHING_CONCURRENCY", 1))


hashing_wait = env_duration("EP_HASHING_WAIT_SECONDS", 1)


def sign_in_key() -> bytes:
    """Keys the hashes that name the sign-in counters and the places people sign in from
    (services.accounts.throttle, .places): derived from EP_RPC_SECRET with its own label, so a copy of
    the database alone neither gives the client addresses nor tells which counter is whose."""
    import hashlib
    import hmac

    from services.common.config import rpc_secret

    return hmac.new(rpc_secret().encode(), b"ep-accounts-sign-in", hashlib.sha256).digest()


# « Mot de passe oublié » answers after this long whether or not the address is known (and a link sent):
# the work of a real address (a link, its email, the journal) is not told apart by the time it takes.
RESET_ANSWER_SECONDS = 0.25

KNOWN_PLACES = 5        # the client addresses of an account's last sign-ins that a lock does not apply to
