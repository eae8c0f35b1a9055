"""Figure 1, ``rpc_ratio``: the web's RPC client (contracts.rpc) calling a trivial nameko
method, p50 round trip, divided by the limit measured in the same run on the same broker: a
raw pika client and a raw pika responder (bench.raw_responder), no framework on either side.

The nameko side is the product's path, not nameko's defaults: bench.echo_service's method sits
behind the services' ``@rpc`` (services/common/entrypoint.py) and runs under the requests
service's own config file (serializer, max_workers, logging at the benches' WARNING level).

Also reported: the web's client facing the raw responder (the client's own share).

    .venv/bin/python -m bench.rpc_roundtrip [--calls 3000]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pika

from bench import harness
from contracts.rpc import RpcClient
from devtools.stack import REPO_ROOT


class RawClient:
    """The least a pika request/reply can do: publish, then wait for the correlated reply."""

    def __init__(self, amqp_uri):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.reply_queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.reply_queue, "nameko-rpc", routing_key=self.reply_queue)
        self.channel.basic_consume(self.reply_queue, self._on_reply, auto_ack=True)
        self.reply = None

    def _on_reply(self, channel, method, properties, body):
        self.reply = body

    def call(self, routing_key, value):
        self.reply = None
        self.channel.basic_publish("nameko-rpc", routing_key, json.dumps({"args": [value], "kwargs": {}}),
                                   pika.BasicProperties(reply_to=self.reply_queue, correlation_id=uuid.uuid4().hex,
                                                        content_type="application/json"))
        while self.reply is None:
            self.connection.process_data_events(time_limit=5)
        return json.loads(self.reply)["result"]

    def close(self):
        self.connection.close()


def _wait_answering(call, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def echo_config(folder: Path, uri: str) -> Path:
    """services/requests/config.yaml with this bench's broker: the echo service gets a real
    service's nameko settings (nameko run expands their ``${VAR:default}``)."""
    path = folder / "echo_service.yaml"
    path.write_text(f"{(REPO_ROOT / 'services/requests/config.yaml').read_text()}\nAMQP_URI: {json.dumps(uri)}\n")
    return path


def run(calls: int = 3000) -> dict:
    with harness.private_vhost() as uri, tempfile.TemporaryDirectory(prefix="ep-bench-") as scratch:
        env = {**os.environ, "AMQP_URI": uri, "PYTHONWARNINGS": "ignore", "LOG_LEVEL": "WARNING"}
        processes = [
            subprocess.Popen([sys.executable, "-m", "nameko", "run", "--config", str(echo_config(Path(scratch), uri)),
                              "bench.echo_service"],
                             cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
            subprocess.Popen([sys.executable, "-m", "bench.raw_responder", uri], cwd=REPO_ROOT, env=env,
                             stdout=subprocess.DEVNULL),
        ]
        client = RpcClient(uri, timeout=5)
        try:
            _wait_answering(lambda: (client.call("bench_echo", "echo", 1, timeout=1),
                                     client.call("bench_raw", "echo", 1, timeout=1)))
            raw = RawClient(uri)
            samples = harness.interleaved({
                "raw": lambda: raw.call("bench_raw.echo", "x"),
                "client_raw": lambda: client.call("bench_raw", "echo", "x"),
                "nameko": lambda: client.call("bench_echo", "echo", "x"),
            }, calls, warmup=100)
            raw.close()
        finally:
            client.close()
            for p in processes:
                p.terminate()
                p.wait(10)
    stats = {name: harness.latency(s) for name, s in samples.items()}
    for name, label in (("raw", "raw pika client -> raw pika responder (the limit)"),
                        ("client_raw", "web client      -> raw pika responder"),
                        ("nameko", "web client      -> nameko service")):
        print(f"  {label}: p50 {stats[name]['p50_ms']:.3f} ms, p99 {stats[name]['p99_ms']:.3f} ms")
    ratio = stats["nameko"]["p50_ms"] / stats["raw"]["p50_ms"]
    print(f"rpc_ratio {ratio:.2f} (target <= 1.6)")
    return {"rpc_ratio": round(ratio, 2), "rpc_p50_ms": stats["nameko"]["p50_ms"],
            "rpc_p99_ms": stats["nameko"]["p99_ms"], "raw_p50_ms": stats["raw"]["p50_ms"],
            "raw_p99_ms": stats["raw"]["p99_ms"], "client_raw_p50_ms": stats["client_raw"]["p50_ms"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    print(json.dumps(run(parser.parse_args().calls)))


if __name__ == "__main__":
    main()
