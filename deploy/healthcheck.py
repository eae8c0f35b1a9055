"""Container health check: ``python deploy/healthcheck.py <accounts|requests|notifier|web>``.

Exit 0 when healthy, 1 otherwise. A nameko service is healthy when its
``health`` RPC answers through the broker (so the check also proves the AMQP
consumer and the database are working, not merely that the process exists).
The web is healthy when /sante renders.
"""
import os
import sys
import urllib.request

SERVICES = ("accounts", "requests", "notifier")


def check(target: str) -> None:
    if target == "web":
        # /sante asks each service with a 2 s timeout, hence the longer wait here.
        with urllib.request.urlopen("http://127.0.0.1:8000/sante", timeout=8) as resp:
            if resp.status != 200:
                raise RuntimeError(f"/sante answered {resp.status}")
        return
    from contracts.rpc import RpcClient   # PYTHONPATH=/app in the images

    client = RpcClient(os.environ["AMQP_URI"], timeout=3)
    try:
        client.call(target, "health")
    finally:
        client.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in SERVICES + ("web",):
        print(f"usage: {argv[0]} <{'|'.join(SERVICES + ('web',))}>", file=sys.stderr)
        return 2
    try:
        check(argv[1])
    except Exception as exc:   # any failure (timeout, refused, HTTP error) means unhealthy
        print(f"{argv[1]} unhealthy: {exc!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
