"""Service-to-service RPC with a timeout, forwarding the caller's signed identity.

nameko's own ``RpcProxy`` waits for a reply forever; this uses the same pooled
client as the web (contracts.rpc), green under eventlet, so a service that
does not answer costs at most the timeout and the caller degrades.
"""
from nameko.extensions import DependencyProvider

from contracts import broker, identity
from contracts.rpc import RpcClient
from services.common.config import rpc_secret


class ServiceCaller:
    def __init__(self, client: RpcClient, token: str | None, service_name: str, aud: str):
        self.client, self.token, self.service_name, self.aud = client, token, service_name, aud

    def call(self, service, method, *args, timeout=None, **kwargs):
        """As the person the current call acts for: their identity, signed again for that method."""
        token = self.token and identity.forward(self.token, rpc_secret(), self.aud, identity.audience(service, method))
        return self.client.call(service, method, *args, identity=token, timeout=timeout, **kwargs)

    def call_as_service(self, service, method, *args, timeout=None, **kwargs):
        """As this service itself (timers have no person): profile "service", under the services' key."""
        token = identity.sign({"id": None, "profile": "service", "service": self.service_name}, rpc_secret(),
                              identity.audience(service, method))
        return self.client.call(service, method, *args, identity=token, timeout=timeout, **kwargs)


class ServiceRpc(DependencyProvider):
    def __init__(self, timeout: float = 3.0):
        self.timeout = timeout

    def setup(self):
        self.client = RpcClient(broker.fill_in(self.container.config)["AMQP_URI"], timeout=self.timeout)

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return ServiceCaller(self.client, worker_ctx.data.get(identity.CONTEXT_KEY), self.container.service_name,
                             identity.audience(worker_ctx.service_name, worker_ctx.entrypoint.method_name))
