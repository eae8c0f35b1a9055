"""One key per purpose, all derived from the one root secret (EP_RPC_SECRET, or EP_TOTP_KEY for
the sealing): the one place where keys come from.

A key is HMAC-SHA256(root, label). The root itself signs nothing: a value made for one purpose
(a login ticket, an unsubscribe link, a service's identity) never verifies under another's key,
so one cannot be replayed as the other. Labels are part of the wire format: changing one voids
everything made with it (the TOTP sealing labels are the ones the sealed values were made with).
"""
import hashlib
import hmac
from functools import lru_cache

USER_IDENTITY = b"ep-key/user-identity"          # the web, acting for a signed-in person
SERVICE_IDENTITY = b"ep-key/service-identity"    # a service acting as itself (timers, sweeps)
LOGIN_TICKET = b"ep-key/login-ticket"            # profile choice and code step of a sign-in
UNSUBSCRIBE = b"ep-key/unsubscribe"              # one-click newsletter unsubscribe links
TOTP_ENCRYPTION = b"ep-totp-encryption"          # sealing of the TOTP secrets (services.accounts.sealing)
TOTP_AUTHENTICATION = b"ep-totp-authentication"
PURPOSES = (USER_IDENTITY, SERVICE_IDENTITY, LOGIN_TICKET, UNSUBSCRIBE, TOTP_ENCRYPTION, TOTP_AUTHENTICATION)


@lru_cache(maxsize=64)          # one HMAC per call saved; the keys live in memory anyway
def derive(root: str, purpose: bytes) -> bytes:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    if not root:
        raise ValueError("root secret missing: no key can be derived")
    return hmac.new(root.encode(), purpose, hashlib.sha256).digest()
