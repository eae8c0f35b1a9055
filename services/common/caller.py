"""The verified identity of whoever the web is acting for.

Every RPC method that touches data asks ``self.caller.require(...)``; the
identity comes from the signed ``identity`` context header, never from
arguments, so the web cannot be trusted into widening access.
"""
from nameko.extensions import DependencyProvider

from contracts import identity
from contracts.errors import NotAuthorized


class CallerIdentity:
    def __init__(self, token, secret):
        self._token = token
        self._secret = secret
        self._identity = None

    @property
    def identity(self) -> dict:
        if self._identity is None:
            self._identity = identity.verify(self._token, self._secret)
        return self._identity

    def require(self, *profiles: str) -> dict:
        who = self.identity
        if profiles and who.get("profile") not in profiles:
            raise NotAuthorized()
        return who


class Caller(DependencyProvider):
    def __init__(self, secret_factory):
        self.secret_factory = secret_factory

    def setup(self):
        self.secret = self.secret_factory()

    def get_dependency(self, worker_ctx) -> CallerIdentity:
        return CallerIdentity(worker_ctx.data.get(identity.CONTEXT_KEY), self.secret)
