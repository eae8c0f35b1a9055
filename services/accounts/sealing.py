"""Sealing of the TOTP secrets at rest (ASVS 2.8.1/6.4): a copy of the database
alone does not give anyone's second factor.

Standard library only: encrypt-then-MAC with HMAC-SHA256, used as a PRF in counter
mode for the keystream (a fresh random nonce per sealing) and as the MAC over the
version, the nonce, the ciphertext and the account it belongs to (a sealed value
moved to another account does not open). The two keys are derived from
``settings.sealing_key()`` by contracts.keys with their own labels (the ones they always had, so
values sealed before keys had one module still open): never the key of any token.
"""
import base64
import hashlib
import hmac
import secrets

from contracts import keys
from services.accounts import settings

VERSION = b"s1"


def _key(purpose: bytes) -> bytes:
    return keys.derive(settings.sealing_key(), purpose)


def _keystream(nonce: bytes, length: int) -> bytes:
    key, blocks = _key(keys.TOTP_ENCRYPTION), b""
    for counter in range(-(-length // 32)):
        blocks += hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
    return blocks[:length]


def _tag(nonce: bytes, ciphertext: bytes, context: str) -> bytes:
    return hmac.new(_key(keys.TOTP_AUTHENTICATION), VERSION + nonce + ciphertext + context.encode(), hashlib.sha256).digest()


def seal(plaintext: str, context: str) -> str:
    data, nonce = plaintext.encode(), secrets.token_bytes(16)
    ciphertext = bytes(a ^ b for a, b in zip(data, _keystream(nonce, len(data))))
    return VERSION.decode() + "." + base64.urlsafe_b64encode(nonce + ciphertext + _tag(nonce, ciphertext, context)).decode()


def open_sealed(sealed: str, context: str) -> str:
    """The plaintext; ValueError if the value was altered, moved or sealed with another key."""
    version, _, body = sealed.partition(".")
    raw = base64.urlsafe_b64decode(body.encode())
    nonce, ciphertext, tag = raw[:16], raw[16:-32], raw[-32:]
    if version.encode() != VERSION or not hmac.compare_digest(tag, _tag(nonce, ciphertext, context)):
        raise ValueError("sealed value refused")
    return bytes(a ^ b for a, b in zip(ciphertext, _keystream(nonce, len(ciphertext)))).decode()
