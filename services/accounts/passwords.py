"""Password hashing (argon2id) and the password rules shown in the UI.

Hashing is CPU work in C; under eventlet it runs in the thread pool so a
login does not freeze every other worker of the service.
"""
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

_hasher = PasswordHasher()   # argon2id, library defaults (RFC 9106 low-memory profile)

# A hash of a random string: verifying against it costs what a real check costs,
# so an unknown email answers in the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("espace-partenaires-dummy-password")

MIN_LENGTH = 12
RULES = [
    f"au moins {MIN_LENGTH} caractères",
    "au moins une lettre minuscule et une lettre majuscule",
    "au moins un chiffre",
    "au moins un caractère spécial (par exemple ! ? @ # - _)",
]


def _offload(fn, *args):
    try:
        import eventlet.patcher
        import eventlet.tpool

        if eventlet.patcher.is_monkey_patched("thread"):
            return eventlet.tpool.execute(fn, *args)
    except ImportError:
        pass
    return fn(*args)


def hash_password(password: str) -> str:
    return _offload(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    def check():
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerifyMismatchError, InvalidHashError):
            return False

    return _offload(check)


def rule_violations(password: str) -> list[str]:
    """The rules (French) that ``password`` does not meet; empty when it is acceptable."""
    checks = [
        len(password) >= MIN_LENGTH,
        bool(re.search(r"[a-z]", password)) and bool(re.search(r"[A-Z]", password)),
        bool(re.search(r"\d", password)),
        bool(re.search(r"[^A-Za-z0-9]", password)),
    ]
    return [rule for rule, ok in zip(RULES, checks) if not ok]
