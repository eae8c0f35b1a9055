"""Service-to-service RPC with a timeout, forwarding the caller's signed identity.

nameko's own ``RpcProxy`` waits for a reply forever; this uses the same pooled
client as the web (contracts.rpc), green under eventlet, so a service that
does not answer costs at most the timeout and the caller degrades.
"""
import os

from nameko.extensions import DependencyProvider

from contracts import identity
from contracts.rpc import RpcClient


class ServiceCaller:
    def __init__(self, client: RpcClient, token: str | None):
        self.client, self.token = client, token

    def call(self, service, method, *args, timeout=None, **kwargs):
        return self.client.call(service, method, *args, identity=self.token, timeout=timeout, **kwargs)


class ServiceRpc(DependencyProvider):
    def __init__(self, timeout: float = 3.0):
        self.timeout = timeout

    def setup(self):
        uri = self.container.config.get("AMQP_URI") or os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
        self.client = RpcClient(uri, timeout=self.timeout)

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return ServiceCaller(self.client, worker_ctx.data.get(identity.CONTEXT_KEY))
