"""Private RabbitMQ nodes on this machine, one alone or three as a cluster, for the fault tests and the bench.

Other people's work runs on the machine's RabbitMQ (127.0.0.1:5672): nothing here may stop it. So each
node is started from the installed rabbitmq-server with a node name, AMQP and distribution ports, data and
log directories of its own, no plugins, configuration files of its own (none of /etc/rabbitmq applies) and
an Erlang cookie in a private HOME (shared by the nodes of one cluster, so they can join). The server runs
in the foreground of its own process group (rather than ``-detached``) so that a node that does not stop
when asked is killed with its group: nothing is left running.

``RabbitCluster`` is a context manager: on leaving it, and at interpreter exit (atexit) if it was not left,
every node still running is stopped, whatever happened in between.

The services' queues are replicated by the production's ``ha-all`` policy (deploy/rabbitmq/definitions.json:
classic mirrored queues on every node, synced automatically): deploy/README.md says why mirrored rather
than quorum queues.
"""
import atexit
import contextlib
import json
import os
import secrets
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devtools.stack import wait_for_port

# The package's own scripts, not the /usr/sbin wrappers (those switch to the rabbitmq user and
# its shared cookie and home); these run as whoever runs the tests.
BIN = Path("/usr/lib/rabbitmq/bin")
# The production policies (every queue but the exclusive reply queues, which RabbitMQ never mirrors, on
# every node, a new mirror synced at once), read from the file the compose stack's nodes import.
DEFINITIONS = Path(__file__).resolve().parents[1] / "deploy" / "rabbitmq" / "definitions.json"
# How the production's nodes behave when they lose each other, from their own configuration file (its
# peer discovery lines name the compose stack's hosts: the nodes here join by rabbitmqctl instead).
CLUSTER_CONF = DEFINITIONS.with_name("cluster.conf")


def cluster_config() -> str:
    lines = CLUSTER_CONF.read_text().splitlines()
    return "".join(f"{line}\n" for line in lines if line.startswith("cluster_partition_handling"))


def _free_ports(count: int) -> list[int]:
    """Ports below the kernel's ephemeral range, free now: a port taken by ``free_port`` (an ephemeral
    one) can be given to any outgoing connection before the node binds it (seen: dist_port_already_used)."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports: list[int] = []
    while len(ports) < count:
        port = 10000 + secrets.randbelow(max(1000, low - 10000))
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port not in ports:
            ports.append(port)
    return ports


class RabbitNode:
    def __init__(self, base_dir: Path, node: str | None = None, home: Path | None = None, config: str = ""):
        """``home``: where the Erlang cookie is (the nodes of a cluster share it), a new one by default;
        ``config``: rabbitmq.conf lines, none by default."""
        self.base = Path(base_dir)
        self.base.mkdir(parents=True, exist_ok=True)
        self.node = node or f"ep-fault-{secrets.token_hex(4)}@localhost"
        self.port, dist_port = _free_ports(2)
        home = home or _new_home(self.base / "home")
        (self.base / "enabled_plugins").write_text("[].\n")
        if config:
            (self.base / "rabbitmq.conf").write_text(config)
        self.env = {
            **os.environ,
            "HOME": str(home),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            # Our own files (nonexistent by default): none of the machine's /etc/rabbitmq configuration applies.
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
        }
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None

    def ctl(self, *args: str, check=True, timeout=60) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "rabbitmqctl"), "-q", "-n", self.node, *args], env=self.env,
                              capture_output=True, text=True, check=check, timeout=timeout)

    def json(self, *args: str) -> list[dict]:
        return json.loads(self.ctl(*args, "--formatter", "json").stdout or "[]")

    def start(self, timeout: float = 90) -> "RabbitNode":
        return self.launch().await_started(timeout)

    def launch(self) -> "RabbitNode":
        """The node's process started; it boots in the background (several nodes boot side by side)."""
        log = open(self.base / "server.log", "ab")
        self.process = subprocess.Popen([str(BIN / "rabbitmq-server")], env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def await_started(self, timeout: float = 90) -> "RabbitNode":
        deadline = time.monotonic() + timeout
        # await_startup fails at once while the node is not yet registered with epmd: poll it.
        while self.ctl("await_startup", "--timeout", "5", check=False).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"private RabbitMQ did not start; see {self.base}/server.log")
            time.sleep(0.5)
        wait_for_port(self.port, timeout=30)
        return self

    def stop_app(self) -> None:
        """The broker's application stops (every client connection is closed), the node stays."""
        self.ctl("stop_app")

    def start_app(self, timeout: float = 90) -> None:
        """The application back on the running node. On a busy machine ``start_app`` may time out
        or the node may have gone down with its application: asked again, the node relaunched if it
        is gone, until ``timeout``; the failure names the node's own log."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                self.launch()
                self.await_started(max(5.0, deadline - time.monotonic()))
                return
            try:
                asked = self.ctl("start_app", check=False, timeout=max(5.0, min(30.0, deadline - time.monotonic())))
                said = asked.stderr.strip()[-300:]
                if asked.returncode == 0 and self.ctl("await_startup", "--timeout", "10", check=False).returncode == 0:
                    wait_for_port(self.port, timeout=30)
                    return
            except subprocess.TimeoutExpired:
                said = "rabbitmqctl start_app did not answer"
            if time.monotonic() > deadline:
                raise RuntimeError(f"private RabbitMQ's application did not start again ({said}); "
                                   f"see {self.base}/log and {self.base}/server.log")
            time.sleep(1)

    def kill(self) -> None:
        """The node is lost at once (SIGKILL, as a crashed machine): no goodbye to clients or peers."""
        process, self.process = self.process, None
        os.killpg(process.pid, 9)
        process.wait(10)

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        try:
            self.ctl("stop", check=False, timeout=30)
            process.wait(20)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if process.poll() is None:        # it did not stop when asked: the whole group goes
                os.killpg(process.pid, 9)
                process.wait(5)


def _new_home(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    cookie = home / ".erlang.cookie"
    cookie.write_text(secrets.token_hex(16).upper())
    cookie.chmod(0o400)
    return home


class RabbitCluster:
    """``size`` nodes joined to the first one, the production's policies applied."""

    def __init__(self, base_dir: Path, size: int = 3):
        base = Path(base_dir)
        home = _new_home(base / "home")
        tag = secrets.token_hex(3)
        self.nodes = [RabbitNode(base / letter, f"ep-cluster-{tag}-{letter}@localhost", home, cluster_config())
                      for letter in "abcdefghi"[:size]]

    def __enter__(self) -> "RabbitCluster":
        atexit.register(self.stop)           # a run killed between here and __exit__ still stops its nodes
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
        atexit.unregister(self.stop)

    def start(self) -> "RabbitCluster":
        first, *others = self.nodes
        for node in self.nodes:
            node.launch()
        for node in self.nodes:
            node.await_started()
        for node in others:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.node)
            node.start_app()
        for policy in json.loads(DEFINITIONS.read_text())["policies"]:
            first.ctl("set_policy", "-p", policy["vhost"], policy["name"], policy["pattern"],
                      json.dumps(policy["definition"]), "--apply-to", policy["apply-to"],
                      "--priority", str(policy["priority"]))
        return self

    def stop(self) -> None:
        def stop(node):
            with contextlib.suppress(Exception):      # one node failing to stop must not leave the others running
                node.stop()

        with ThreadPoolExecutor(len(self.nodes)) as pool:     # each waits on its own node: side by side
            list(pool.map(stop, self.nodes))

    def amqp_uri(self, first: int = 0) -> str:
        """Every node as one failover list (``;``-separated, kombu's and contracts.rpc's syntax),
        starting with node ``first``: clients connect to it and move on to the next when it is gone."""
        order = self.nodes[first:] + self.nodes[:first]
        return ";".join(node.amqp_uri for node in order)

    def running_node(self) -> RabbitNode:
        return next(node for node in self.nodes if node.running)

    def node_named(self, name: str) -> RabbitNode:
        return next(node for node in self.nodes if node.node == name)

    def queue_masters(self) -> dict[str, str]:
        """{queue: node holding its master (the leader)} for the queues of the running nodes."""
        return {row["name"]: node.node for node in self.nodes if node.running
                for row in node.json("list_queues", "--local", "name")}

    def synchronised(self, queue: str) -> int:
        """How many mirrors of ``queue`` hold all its messages."""
        rows = self.running_node().json("list_queues", "name", "synchronised_slave_pids")
        return next(len(row["synchronised_slave_pids"] or []) for row in rows if row["name"] == queue)

    def connections_by_node(self) -> dict[str, int]:
        """{node: open client connections} on the running nodes (by the port each connection reached)."""
        ports = {node.port: node.node for node in self.nodes if node.running}
        counts = dict.fromkeys(ports.values(), 0)
        for row in self.running_node().json("list_connections", "port"):
            counts[ports[row["port"]]] += 1
        return counts
