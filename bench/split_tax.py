"""Figure 2, ``split_tax``: the partner's history page (25 rows of 10,000 requests) through the
full stack (gunicorn -> web -> RPC -> requests service -> database), p50, divided by the same
page from the in-process baseline (bench.inprocess_web). Also: p95 of both and throughput
with 16 concurrent clients.

    .venv/bin/python -m bench.split_tax [--requests 10000] [--samples 400]
"""
import argparse
import json

from bench import harness
from bench.load import concurrently
from bench.requests_system import requests_system

PAGE = "/demandes"
CLIENTS = 16


def page_ok(session, url: str) -> bool:
    """The history page came back whole: a full page of 25 rows (plus the header row)."""
    answer = session.get(url, timeout=30)
    return answer.status_code == 200 and answer.text.count("<tr") == 26


def run(system, samples: int = 400, concurrent_pages: int = 1500) -> dict:
    urls = {"full": system.web_url, "baseline": system.baseline_url}
    sessions = {name: harness.web_session(url) for name, url in urls.items()}
    latencies = harness.interleaved(
        {name: (lambda s=sessions[name], u=urls[name] + PAGE: page_ok(s, u) or _fail(u)) for name in urls},
        samples)
    stats = {name: harness.latency(s) for name, s in latencies.items()}
    throughput = {}
    for name, url in urls.items():
        clients = [harness.web_session(url) for _ in range(CLIENTS)]
        result = concurrently(clients, lambda s, n, u=url + PAGE: page_ok(s, u), concurrent_pages)
        throughput[name] = result["throughput"]
        stats[name]["errors_16"] = len(result["errors"])
    for name, label in (("full", "full stack (web -> RPC -> requests)"), ("baseline", "in-process baseline")):
        print(f"  {label}: p50 {stats[name]['p50_ms']:.2f} ms, p95 {stats[name]['p95_ms']:.2f} ms, "
              f"{throughput[name]:.0f} pages/s with {CLIENTS} clients")
    tax = stats["full"]["p50_ms"] / stats["baseline"]["p50_ms"]
    print(f"split_tax {tax:.2f} (target <= 1.2)")
    return {"split_tax": round(tax, 2), "split_p50_ms": stats["full"]["p50_ms"],
            "split_p95_ms": stats["full"]["p95_ms"], "split_throughput_16": round(throughput["full"], 1),
            "baseline_p50_ms": stats["baseline"]["p50_ms"], "baseline_p95_ms": stats["baseline"]["p95_ms"],
            "baseline_throughput_16": round(throughput["baseline"], 1)}


def _fail(url):
    raise RuntimeError(f"{url} did not render the history")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=400)
    args = parser.parse_args()
    with requests_system(args.requests) as system:
        print(json.dumps(run(system, args.samples)))


if __name__ == "__main__":
    main()
