"""A RabbitMQ node lost under the web's submissions, for the cluster fault test and ``make bench``
(bench/cluster_failover.py): the same run, the same figures.

The system runs on a private three-node cluster (devtools/rabbit_cluster.py); the services list the nodes
a, b, c and the web b, c, a (contracts.broker's failover list), so they start on different nodes. While
techniciens keep filing requests through gunicorn, the node holding the master of ``rpc-requests`` is
killed, then the node the web is connected to (read from the web's own sockets). Each failover is timed
from the kill to the end of the first submission filed that was sent after it, and until every service
instance answers again (its consumer moved to a remaining node).

Then, as in the broker-restart test, each submission answered "réessayez" is sent again with its key,
and the requests database is read: an acknowledged submission missing is lost, a name filed twice is
duplicated.
"""
import contextlib
import os
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from devtools.rabbit_cluster import RabbitCluster, RabbitNode
from devtools.stack import Stack
from tests.faults.conftest import wait_all_instances
from tests.faults.system import fault_system
from tests.faults.web import WebUser, requests_named, submit_until

SUBMITTERS = 3
RECOVERY = 15
INSTANCES = 1
GIVE_UP = 60            # a failover not done by then is reported as such, the run goes on


@dataclass
class Failover:
    what: str                       # "queues' leader" or "web's node"
    node: str
    seconds: float                  # from the kill to the end of the first submission filed that was sent after it
    services_seconds: float         # from the kill until every service instance answers again


@dataclass
class ClusterRun:
    failovers: list = field(default_factory=list)       # Failover
    made: list = field(default_factory=list)            # Submission
    pages: list = field(default_factory=list)           # the form itself refused ("réessayez")
    lost: list = field(default_factory=list)            # acknowledged, not in the database
    duplicated: list = field(default_factory=list)      # filed more than once
    resent: list = field(default_factory=list)          # Answer to each "réessayez" sent again

    @property
    def failover_seconds(self) -> float:
        return max(failover.seconds for failover in self.failovers)


@contextlib.contextmanager
def cluster_system(base: Path, rpc_secret: str | None = None, database_urls: dict | None = None):
    """The private cluster and the system on it; everything stopped on leaving, whatever happened."""
    (base / "data").mkdir(parents=True, exist_ok=True)
    with RabbitCluster(base / "rabbitmq") as cluster:
        with fault_system(cluster.amqp_uri(0), rpc_secret or secrets.token_urlsafe(48), base / "data",
                          base / "logs", INSTANCES, process_env={"web": {"AMQP_URI": cluster.amqp_uri(1)}},
                          database_urls=database_urls) as stack:
            wait_all_instances(stack, instances=INSTANCES)
            yield cluster, stack


def _filed_after(made: list, moment: float) -> list:
    return [a for s in list(made) for a in s.answers if a.filed and a.at >= moment]


def _lose(what: str, node: RabbitNode, stack: Stack, made: list) -> Failover:
    node.kill()
    cut = time.monotonic()
    while not (filed := _filed_after(made, cut)):
        if time.monotonic() - cut > GIVE_UP:
            break
        time.sleep(0.05)
    seconds = min(a.at + a.seconds for a in filed) - cut if filed else float("inf")
    wait_all_instances(stack, instances=INSTANCES, timeout=GIVE_UP - (time.monotonic() - cut))
    return Failover(what, node.node, seconds, time.monotonic() - cut)


def web_node(cluster: RabbitCluster, stack: Stack) -> RabbitNode:
    """The node the web's processes hold connections to (their sockets' remote ports)."""
    master = stack.processes["web"].pid
    workers = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    ports = _remote_ports([master, *map(int, workers)])
    return next(node for node in cluster.nodes if node.running and node.port in ports)


def _remote_ports(pids: list[int]) -> set[int]:
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[len("socket:["):-1])
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes:
            ports.add(int(fields[2].rsplit(":", 1)[1], 16))
    return ports


def run_failover(cluster: RabbitCluster, stack: Stack) -> ClusterRun:
    base = f"http://127.0.0.1:{stack.web_port}"
    run, stop = ClusterRun(), threading.Event()
    threads = [threading.Thread(target=submit_until, args=(stop, WebUser(base), run.made, run.pages))
               for _ in range(SUBMITTERS)]
    for thread in threads:
        thread.start()
    try:
        while len(_filed_after(run.made, 0)) < 3 * SUBMITTERS:
            time.sleep(0.1)
        while cluster.synchronised("rpc-requests") < len(cluster.nodes) - 1:    # every mirror holds it all
            time.sleep(0.2)
        leader = cluster.node_named(cluster.queue_masters()["rpc-requests"])
        run.failovers.append(_lose("queues' leader", leader, stack, run.made))
        run.failovers.append(_lose("web's node", web_node(cluster, stack), stack, run.made))
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    # Each user sends the "réessayez" form again (same page, same key): filed now, once.
    for submission in run.made:
        if not submission.answers[-1].filed:
            run.resent.append(submission.user.send(submission))
    database = stack.env["REQUESTS_DATABASE_URL"]
    for submission in run.made:
        filed = requests_named(database, submission.name)
        if len(filed) > 1:
            run.duplicated.append(submission.name)
        elif filed != [submission.answers[-1].request_id]:
            run.lost.append(submission.name)
    return run
