"""Container health check: ``python deploy/healthcheck.py <accounts|requests|notifier|web> [pret|vivant|rpc]``.

Exit 0 when healthy, 1 otherwise. By default the readiness probe (``pret``), what the compose
stack's health checks (and ``depends_on: service_healthy``) wait for:

- a nameko service: ``GET /pret`` on its probe port (``<SERVICE>_HEALTH_PORT``, services.common.probes):
  its database, the broker and, for requests, clamd answer; no broker needed to ask;
- the web: ``GET /sante/pret``: the broker is reachable (not the services: one down degrades its
  own screens only).

``vivant`` asks the liveness probe instead (the process answers; nothing else is asked): what an
orchestrator restarts on. ``rpc`` calls the service's ``health`` method through the broker (the
whole RPC path: broker account, consumer, database), the check used before the probes existed.
"""
import os
import sys
import urllib.request

SERVICES = ("accounts", "requests", "notifier")
MODES = ("pret", "vivant", "rpc")
WEB_PORT = 8000


def url(target: str, mode: str, env=os.environ) -> str:
    if target == "web":
        return f"http://127.0.0.1:{WEB_PORT}/sante/{mode}"
    setting = env.get(f"{target.upper()}_HEALTH_PORT", "")
    if not setting:
        raise RuntimeError(f"{target.upper()}_HEALTH_PORT is not set: the service has no probe port")
    return f"http://127.0.0.1:{setting.rpartition(':')[2]}/{mode}"      # "8081" or "0.0.0.0:8081"


def check(target: str, mode: str = "pret") -> None:
    if mode == "rpc":
        from contracts.rpc import RpcClient   # PYTHONPATH=/app in the images

        client = RpcClient(os.environ["AMQP_URI"], timeout=3)
        try:
            client.call(target, "health")
        finally:
            client.close()
        return
    # Each dependency gets 2 s (services.common.probes), a broker list one try per node.
    with urllib.request.urlopen(url(target, mode), timeout=8) as resp:  # noqa: S310 (a fixed local http URL)
        if resp.status != 200:
            raise RuntimeError(f"{mode} answered {resp.status}")


def main(argv: list[str]) -> int:
    targets = SERVICES + ("web",)
    if len(argv) not in (2, 3) or argv[1] not in targets or (len(argv) == 3 and argv[2] not in MODES) \
            or argv[1:] == ["web", "rpc"]:
        print(f"usage: {argv[0]} <{'|'.join(targets)}> [{'|'.join(MODES)}]", file=sys.stderr)
        return 2
    try:
        check(argv[1], argv[2] if len(argv) == 3 else "pret")
    except Exception as exc:   # any failure (timeout, refused, HTTP 503) means unhealthy
        print(f"{argv[1]} unhealthy: {exc!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
