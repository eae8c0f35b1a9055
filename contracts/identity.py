"""The caller identity the web attaches to every RPC call, signed; and the other signed tokens.

Services decide authorization from this identity, never from arguments the
web chose; the HMAC means a client on the broker without the shared secret
cannot speak as someone else. The token is short-lived: the web signs a fresh
one per call from the session it holds.

Each kind of token has its own key (contracts.keys): a person's identity, a service's identity and
a login ticket never verify as one another. An identity also names its audience, the one
``service.method`` it was signed for: captured on the broker, it opens no other method.
"""
import base64
import hashlib
import hmac
import json
import time

from contracts import keys
from contracts.errors import NotAuthenticated

CONTEXT_KEY = "identity"        # travels as the "nameko.identity" header (nameko strips the prefix)
DEFAULT_TTL = 120               # seconds; covers clock skew and queueing


def audience(service: str, method: str) -> str:
    return f"{service}.{method}"


def _mac(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _identity_key(secret: str, claims: dict) -> bytes:
    return keys.derive(secret, keys.SERVICE_IDENTITY if claims.get("profile") == "service" else keys.USER_IDENTITY)


def _seal(payload: dict, key: bytes) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode())
    return body.decode() + "." + _mac(key, body)


def _claims(token: str | None) -> tuple[bytes, dict]:
    """The body and its claims, not yet trusted; NotAuthenticated if it is no token."""
    if not token or not isinstance(token, str) or "." not in token:
        raise NotAuthenticated()
    body = token.rsplit(".", 1)[0].encode()
    try:
        payload = json.loads(base64.urlsafe_b64decode(body))
    except ValueError:
        raise NotAuthenticated()
    if not isinstance(payload, dict):
        raise NotAuthenticated()
    return body, payload


def _open(token: str | None, key_of, now: float | None) -> dict:
    body, payload = _claims(token)
    if not hmac.compare_digest(token.rsplit(".", 1)[1], _mac(key_of(payload), body)):
        raise NotAuthenticated()
    if not isinstance(payload.get("exp"), int) or payload["exp"] < (now or time.time()):
        raise NotAuthenticated()
    return payload


def _expiry(ttl: int, now: float | None) -> int:
    return int((now or time.time()) + ttl)


def sign(identity: dict, secret: str, aud: str, ttl: int = DEFAULT_TTL, now: float | None = None,
         exp: int | None = None) -> str:
    """``identity`` for the one method ``aud`` (``audience(service, method)``)."""
    if not secret:
        raise ValueError("EP_RPC_SECRET manquant : impossible de signer l'identité")
    payload = dict(identity, aud=aud, exp=exp if exp is not None else _expiry(ttl, now))
    return _seal(payload, _identity_key(secret, payload))


def verify(token: str | None, secret: str, aud: str, now: float | None = None) -> dict:
    """The identity dict, if signed for ``aud`` and not expired; else NotAuthenticated."""
    if not secret:
        raise NotAuthenticated()
    payload = _open(token, lambda claims: _identity_key(secret, claims), now)
    if not hmac.compare_digest(str(payload.get("aud", "")), aud):
        raise NotAuthenticated()
    return payload


def forward(token: str, secret: str, aud: str, to_aud: str) -> str:
    """The caller's identity, received for ``aud``, signed again for the next method ``to_aud`` with
    the same expiry: a service passes on who it acts for, never longer than it was told."""
    who = verify(token, secret, aud)
    return sign({k: v for k, v in who.items() if k not in ("aud", "exp")}, secret, to_aud, exp=who["exp"])


def sign_ticket(claims: dict, secret: str, ttl: int) -> str:
    """A login ticket (profile choice, code step), under its own key: never an identity."""
    return _seal(dict(claims, exp=_expiry(ttl, None)), keys.derive(secret, keys.LOGIN_TICKET))


def verify_ticket(ticket: str | None, secret: str) -> dict:
    if not secret:
        raise NotAuthenticated()
    return _open(ticket, lambda claims: keys.derive(secret, keys.LOGIN_TICKET), None)
