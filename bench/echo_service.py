"""Bench-only nameko service: the most trivial RPC method there is."""
from nameko.rpc import rpc


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return value
