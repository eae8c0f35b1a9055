"""RPC round trip: the web's client (contracts.rpc) calling a trivial nameko
method, against the limit measured in the same run: the same client calling a
raw pika responder (no nameko) on the same broker.

    .venv/bin/python -m bench.rpc_roundtrip [--calls 2000]

Prints p50/p99 of both, and the ratio, last line as JSON.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

from contracts.rpc import RpcClient
from devtools.stack import REPO_ROOT


def timings(client, service, calls):
    for _ in range(50):                                       # warm the pool and the service
        client.call(service, "echo", "x")
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        client.call(service, "echo", "x")
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": statistics.median(samples), "p99_ms": samples[int(len(samples) * 0.99) - 1]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()

    vhost = f"ep-bench-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True)
    uri = f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"
    env = {"AMQP_URI": uri, "PYTHONWARNINGS": "ignore"}
    import os

    processes = [
        subprocess.Popen([sys.executable, "-m", "nameko", "run", "--broker", uri, "bench.echo_service"],
                         cwd=REPO_ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "bench.raw_responder", uri], cwd=REPO_ROOT,
                         env={**os.environ, **env}, stdout=subprocess.DEVNULL),
    ]
    client = RpcClient(uri, timeout=5)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.call("bench_echo", "echo", 1, timeout=1)
                client.call("bench_raw", "echo", 1, timeout=1)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        raw = timings(client, "bench_raw", args.calls)
        nameko = timings(client, "bench_echo", args.calls)
    finally:
        client.close()
        for p in processes:
            p.terminate()
            p.wait(10)
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True)

    print(f"baseline (raw pika responder): p50 {raw['p50_ms']:.2f} ms, p99 {raw['p99_ms']:.2f} ms")
    print(f"web client -> nameko service:  p50 {nameko['p50_ms']:.2f} ms, p99 {nameko['p99_ms']:.2f} ms")
    result = {"rpc_ratio": round(nameko["p50_ms"] / raw["p50_ms"], 2),
              "rpc_p50_ms": round(nameko["p50_ms"], 3), "rpc_p99_ms": round(nameko["p99_ms"], 3),
              "raw_p50_ms": round(raw["p50_ms"], 3), "raw_p99_ms": round(raw["p99_ms"], 3), "calls": args.calls}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
