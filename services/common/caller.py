"""The verified identity of whoever the web is acting for.

Every RPC method that touches data asks ``self.caller.require(...)``; the
identity comes from the signed ``identity`` context header, never from
arguments, so the web cannot be trusted into widening access. The identity must have been
signed for the very method it reaches (its audience): one captured for another method opens nothing.
"""
from nameko.extensions import DependencyProvider

from contracts import identity
from contracts.errors import NotAuthorized


class CallerIdentity:
    def __init__(self, token, secret, aud):
        self._token = token
        self._secret = secret
        self._aud = aud
        self._identity = None

    @property
    def secret(self) -> str:
        return self._secret

    @property
    def identity(self) -> dict:
        if self._identity is None:
            self._identity = identity.verify(self._token, self._secret, self._aud)
        return self._identity

    def require(self, *profiles: str, allow_pending: bool = False) -> dict:
        """The identity, if its profile is one of ``profiles`` (any when none given).
        An identity with steps pending at login (CGU, expired password) reaches
        nothing but the methods that complete those steps."""
        who = self.identity
        if profiles and who.get("profile") not in profiles:
            raise NotAuthorized()
        if who.get("pending") and not allow_pending:
            raise NotAuthorized("Acceptez d'abord les conditions générales d'utilisation "
                                "ou renouvelez votre mot de passe.")
        return who


class Caller(DependencyProvider):
    def __init__(self, secret_factory):
        self.secret_factory = secret_factory

    def setup(self):
        self.secret = self.secret_factory()

    def get_dependency(self, worker_ctx) -> CallerIdentity:
        return CallerIdentity(worker_ctx.data.get(identity.CONTEXT_KEY), self.secret,
                              identity.audience(worker_ctx.service_name, worker_ctx.entrypoint.method_name))
