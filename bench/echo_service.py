"""Bench-only nameko service: the most trivial RPC method there is, behind the services' own
``@rpc`` (services/common/entrypoint.py: typed errors, replies on a long-lived channel), run by
bench/rpc_roundtrip.py under a real service's nameko config (serializer, max_workers, logging)."""
from services.common.entrypoint import rpc


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value
