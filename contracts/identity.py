"""The caller identity the web attaches to every RPC call, signed.

Services decide authorization from this identity, never from arguments the
web chose; the HMAC means a client on the broker without the shared secret
cannot speak as someone else. The token is short-lived: the web signs a fresh
one per call from the session it holds.
"""
import base64
import hashlib
import hmac
import json
import time

from contracts.errors import NotAuthenticated

CONTEXT_KEY = "identity"        # travels as the "nameko.identity" header (nameko strips the prefix)
DEFAULT_TTL = 120               # seconds; covers clock skew and queueing


def _mac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign(identity: dict, secret: str, ttl: int = DEFAULT_TTL, now: float | None = None) -> str:
    if not secret:
        raise ValueError("EP_RPC_SECRET manquant : impossible de signer l'identité")
    payload = dict(identity, exp=int((now or time.time()) + ttl))
    body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode())
    return body.decode() + "." + _mac(secret, body)


def verify(token: str | None, secret: str, now: float | None = None) -> dict:
    """Return the identity dict, or raise NotAuthenticated."""
    if not token or "." not in token or not secret:
        raise NotAuthenticated()
    body, mac = token.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(secret, body.encode())):
        raise NotAuthenticated()
    try:
        payload = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        raise NotAuthenticated()
    if payload.get("exp", 0) < (now or time.time()):
        raise NotAuthenticated()
    return payload
