"""Figures ``cluster_failover_seconds`` and ``cluster_lost``: the cluster fault test's run
(tests/faults/cluster.py) measured. A private three-node RabbitMQ cluster, the system on it, techniciens
filing requests through the web while the node holding the queues' leader is killed, then the web's node.
``cluster_failover_seconds``: the longer of the two failovers, from the kill to the end of the first
submission filed that was sent after it (target <= 15); ``cluster_lost``: acknowledged submissions missing
from the requests database plus names filed twice, once each "réessayez" is sent again (target 0).

    .venv/bin/python -m bench.cluster_failover          (BENCH_DATABASE=postgresql: on PostgreSQL)
"""
import tempfile
from pathlib import Path

from bench import harness
from tests.faults.cluster import cluster_system, run_failover


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="ep-bench-cluster-") as base, \
            harness.private_databases(Path(base)) as urls:
        with cluster_system(Path(base), database_urls=urls) as (cluster, stack):
            result = run_failover(cluster, stack)
    for failover in result.failovers:
        print(f"  lost the {failover.what} ({failover.node}): filing again after {failover.seconds:.2f} s, "
              f"every service serving after {failover.services_seconds:.2f} s")
    acknowledged = sum(1 for s in result.made if s.answers[0].filed)
    print(f"  {len(result.made)} submissions, {acknowledged} acknowledged at once, {len(result.resent)} "
          f"\"réessayez\" sent again; lost {len(result.lost)}, duplicated {len(result.duplicated)}")
    print(f"cluster_failover_seconds {result.failover_seconds:.2f} (target <= 15), "
          f"cluster_lost {len(result.lost) + len(result.duplicated)} (target 0)")
    return {"cluster_failover_seconds": round(result.failover_seconds, 2),
            "cluster_lost": len(result.lost) + len(result.duplicated)}


def main():
    harness.command_line(run)


if __name__ == "__main__":
    main()
