"""Password hashing (argon2id) and the password policy shown in the UI.

Policy (CNIL recommendation for password-only authentication, ASVS 2.1):
12 to 128 characters mixing the four kinds of characters, or a passphrase of
20 characters or more; never containing the person's email or name; not a
common or guessable password (zxcvbn, offline, with French words added).
Hashing is CPU work in C; under eventlet it runs in the thread pool so a
login does not freeze every other worker of the service, a few at a time (a
bounded lane: a flood of sign-ins is refused, not queued in front of the
session checks).
"""
import re
import unicodedata

import zxcvbn
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from contracts.errors import LoginThrottled
from services.accounts import settings

_hasher = PasswordHasher()   # argon2id, library defaults (RFC 9106 low-memory profile)

# A hash of a random string: verifying against it costs what a real check costs,
# so an unknown email answers in the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("espace-partenaires-dummy-password")

MIN_LENGTH = 12
PASSPHRASE_LENGTH = 20
MAX_LENGTH = 128
MIN_STRENGTH = 3             # zxcvbn score, 0..4
RULES = [
    f"entre {MIN_LENGTH} et {MAX_LENGTH} caractères",
    "des lettres minuscules et majuscules, des chiffres et des caractères spéciaux "
    f"(ou bien une phrase de passe d'au moins {PASSPHRASE_LENGTH} caractères)",
    "ni votre adresse électronique, ni votre nom, ni votre prénom",
    "pas un mot de passe courant ou facile à deviner",
    "différent de vos 5 derniers mots de passe",
]

# French words zxcvbn's English lists miss; a password built on one of them is guessable.
COMMON_WORDS = [
    "motdepasse", "azerty", "azertyuiop", "qwerty", "bonjour", "soleil", "doudou", "loulou", "chouchou",
    "caisse", "cpam", "ameli", "assurance", "maladie", "partenaire", "partenaires", "espace", "marseille",
    "paris", "france", "secu", "securite", "sociale", "ccas", "cias", "bienvenue", "password", "admin",
]


_lane = None


def _hashing_lane():
    """The semaphore of the bounded hashing lane (settings.hashing_concurrency), made in the service process."""
    global _lane
    if _lane is None:
        import eventlet.semaphore

        _lane = eventlet.semaphore.Semaphore(settings.hashing_concurrency())
    return _lane


BUSY = ("Le portail reçoit beaucoup de connexions en ce moment : patientez quelques secondes, "
        "puis recommencez.")


def _offload(fn, *args):
    """In the service (eventlet): in the thread pool, a few at a time (the lane); a call that does not get
    its turn in time is refused rather than queued, so hashing never holds every worker."""
    try:
        import eventlet.patcher
        import eventlet.tpool
    except ImportError:
        return fn(*args)
    if not eventlet.patcher.is_monkey_patched("thread"):
        return fn(*args)
    lane = _hashing_lane()
    if not lane.acquire(timeout=settings.hashing_wait().total_seconds()):
        raise LoginThrottled(BUSY)
    try:
        return eventlet.tpool.execute(fn, *args)
    finally:
        lane.release()


def hash_password(password: str) -> str:
    return _offload(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    def check():
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerifyMismatchError, InvalidHashError):
            return False

    return _offload(check)


def _plain(text: str) -> str:
    """Lower case without accents, for comparisons."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def violations(password: str, email: str = "", names: tuple[str, ...] = ()) -> list[str]:
    """French sentences for each rule ``password`` breaks; empty when acceptable.
    (History is checked separately: it needs the account's past hashes.)"""
    password = password or ""
    problems = []
    if len(password) > MAX_LENGTH:
        return [f"Le mot de passe dépasse {MAX_LENGTH} caractères."]
    kinds = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    if len(password) < MIN_LENGTH:
        problems.append(f"Il faut au moins {MIN_LENGTH} caractères.")
    elif kinds < 4 and len(password) < PASSPHRASE_LENGTH:
        problems.append("Mélangez minuscules, majuscules, chiffres et caractères spéciaux, "
                        f"ou choisissez une phrase de passe d'au moins {PASSPHRASE_LENGTH} caractères.")
    plain = _plain(password)
    personal = [_plain(v) for v in (email.split("@")[0] if email else "", *names) if v]
    personal += [part for v in personal for part in re.split(r"[^a-z0-9]+", v)]
    if any(len(p) >= 3 and p in plain for p in personal):
        problems.append("Le mot de passe ne doit contenir ni votre adresse électronique, ni votre nom, ni votre prénom.")
    letters = re.sub(r"[^a-z]", "", plain)
    # zxcvbn raises IndexError on an empty password (a live check of an emptied field): weakest anyway.
    weak = not password or zxcvbn.zxcvbn(password[:100], user_inputs=COMMON_WORDS + personal)["score"] < MIN_STRENGTH
    if weak or letters in COMMON_WORDS:
        problems.append("Ce mot de passe est trop courant ou trop facile à deviner.")
    return problems


def reused(password: str, previous_hashes: list[str]) -> bool:
    return any(verify_password(h, password) for h in previous_hashes)
