"""A private RabbitMQ node for the broker fault tests.

Other people's work runs on the machine's RabbitMQ (127.0.0.1:5672): a test
must never stop it. So the fault tests start a node of their own from the
installed rabbitmq-server (own node name, ports, data and log directories, no
plugins, its own Erlang cookie in a private HOME) and drive it with
``rabbitmqctl -n <node> stop_app / start_app``. ``stop()`` halts it; the
fixture calls it in a finalizer, whatever happened in the test.
"""
import os
import secrets
import subprocess
import time
from pathlib import Path

from devtools.stack import free_port, wait_for_port

# The package's own scripts, not the /usr/sbin wrappers (those switch to the rabbitmq user and
# its shared cookie and home); these run as whoever runs the tests.
BIN = Path("/usr/lib/rabbitmq/bin")


class PrivateBroker:
    def __init__(self, base_dir: Path):
        self.base = Path(base_dir)
        self.node = f"ep-fault-{secrets.token_hex(4)}@localhost"
        self.port = free_port()
        home = self.base / "home"
        home.mkdir(parents=True, exist_ok=True)
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16).upper())
        cookie.chmod(0o400)
        (self.base / "enabled_plugins").write_text("[].\n")
        self.env = {
            **os.environ,
            "HOME": str(home),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(_free_port_not(self.port)),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            # Nonexistent files: none of the machine's /etc/rabbitmq configuration applies.
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
        }
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.process = None

    def ctl(self, *args: str, check=True, timeout=60) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "rabbitmqctl"), "-q", "-n", self.node, *args], env=self.env,
                              capture_output=True, text=True, check=check, timeout=timeout)

    def start(self, timeout: float = 90) -> "PrivateBroker":
        log = open(self.base / "server.log", "ab")
        self.process = subprocess.Popen([str(BIN / "rabbitmq-server")], env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
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

    def start_app(self) -> None:
        self.ctl("start_app")
        wait_for_port(self.port, timeout=30)

    def stop(self) -> None:
        if self.process is None:
            return
        self.ctl("stop", check=False, timeout=30)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(5)
        self.process = None


def _free_port_not(taken: int) -> int:
    port = free_port()
    while port == taken:
        port = free_port()
    return port
