"""Start and stop the whole system as local processes: the mail catcher, the
three nameko services and the web under gunicorn.

Used by `make run` (devtools.run) and by the cross-service tests, so both run
the system the same way. Each process gets its own process group, so stopping
leaves nothing behind.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from contracts import broker
from contracts.errors import ServiceUnavailable
from contracts.rpc import RpcClient

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("accounts", "requests", "notifier")
# eventlet's notice that it is deprecated, printed as plain text when nameko's command imports it, before the
# service's JSON logging is set up (contracts/logs.py): every line of a service's log stays JSON.
QUIET_NAMEKO_START = "ignore:::nameko.cli.commands"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Stack:
    def __init__(self, env: dict, log_dir: Path, web_port=8000, smtp_port=1025, mail_http_port=8025,
                 web_workers=2, instances=1, process_env: dict | None = None, metrics_ports: dict | None = None):
        self.env = {**os.environ, **env, "PYTHONWARNINGS": f"ignore::DeprecationWarning,{QUIET_NAMEKO_START}",
                    "PYTHONUNBUFFERED": "1"}
        broker.fill_in(self.env)          # every process, and the health checks below, on the same broker
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.web_port, self.smtp_port, self.mail_http_port = web_port, smtp_port, mail_http_port
        self.web_workers = web_workers
        # Several processes of each service on one broker, as N replicas would run:
        # "requests", then "requests#2"… (tests of shared calls and once-only timers).
        self.service_processes = [name if n == 1 else f"{name}#{n}" for name in SERVICES
                                  for n in range(1, instances + 1)]
        self.processes: dict[str, subprocess.Popen] = {}
        # {program: overrides}, e.g. each service on its own broker account (tests/test_broker_accounts.py).
        self.process_env = process_env or {}
        # Each service process's liveness and readiness probes (services.common.probes), on a port of its own.
        self.health_ports = {name: free_port() for name in self.service_processes}
        # /metrics of each process (web and each service instance) on its own port: {"web": 9100…} for
        # `make run`, free ports otherwise; kept across a restart of the process.
        self.metrics_ports = dict(metrics_ports or {})

    def command(self, name: str) -> list[str]:
        if name == "mailcatcher":
            return [sys.executable, "-m", "devtools.mailcatcher", "--smtp-port", str(self.smtp_port),
                    "--http-port", str(self.mail_http_port)]
        if name == "web":
            return self.web_command(self.web_port)
        return [sys.executable, "-m", "nameko", "run", "--config", f"services/{name}/config.yaml",
                f"services.{name}.service"]

    def web_command(self, port: int, app: str = "services.web.app:create_app()") -> list[str]:
        """The web under gunicorn as it is served; ``app``: another factory served the same way (the benches'
        in-process baseline)."""
        return [sys.executable, "-m", "gunicorn", "--workers", str(self.web_workers), "--threads", "8",
                "--bind", f"127.0.0.1:{port}", "--config", "python:services.web.gunicorn_conf",
                "--graceful-timeout", "5", app]

    def metrics_env(self, name: str) -> dict:
        program = name.partition("#")[0]
        if program != "web" and program not in SERVICES:
            return {}
        port = str(self.metrics_ports.get(name) or self.metrics_ports.setdefault(name, free_port()))
        if program in SERVICES:
            return {f"{program.upper()}_METRICS_PORT": port}
        # This run's multiprocess directory (emptied by gunicorn when it starts): only the web's processes.
        directory = self.log_dir / f"{name.replace('#', '-')}-metrics"        # web-metrics, web-baseline-metrics
        return {"WEB_METRICS_PORT": port, "PROMETHEUS_MULTIPROC_DIR": str(directory)}

    def metrics_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.metrics_ports[name]}/metrics"

    def start_process(self, name: str, env: dict | None = None, command: list[str] | None = None) -> None:
        """``name``: a program, or "<program>#<n>" for another instance of it; ``env``: overrides; ``command``:
        what this instance runs instead of the program's own (``web_command`` with another app)."""
        log = open(self.log_dir / f"{name.replace('#', '-')}.log", "ab")
        program = name.partition("#")[0]
        probes = {f"{program.upper()}_HEALTH_PORT": str(self.health_ports[name])} if name in self.health_ports else {}
        self.processes[name] = subprocess.Popen(
            command or self.command(program), cwd=REPO_ROOT,
            env={**self.env, **probes, **self.metrics_env(name), **self.process_env.get(program, {}), **(env or {})},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop_process(self, name: str, sig=signal.SIGTERM, timeout: float = 10) -> None:
        self.stop_processes([name], sig, timeout)

    def stop_processes(self, names, sig=signal.SIGTERM, timeout: float = 10) -> None:
        """Signal them all, then wait: N instances stop in the time of one."""
        stopping = [(name, p) for name in names if (p := self.processes.pop(name, None)) and p.poll() is None]
        for _name, process in stopping:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        for _name, process in stopping:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(5)

    def start(self, with_web=True) -> "Stack":
        # A real clamd (EICAR-only signatures) unless the environment points at the caisse's own.
        if not self.env.get("EP_CLAMD_SOCKET") and not self.env.get("EP_CLAMD_HOST"):
            from devtools.clamd import Clamd

            self.clamd = Clamd().start()
            self.env["EP_CLAMD_SOCKET"] = self.clamd.socket_path
        self.start_process("mailcatcher")
        for name in self.service_processes:
            self.start_process(name)
        if with_web:
            self.start_process("web")
        wait_for_port(self.smtp_port)
        self.wait_healthy(SERVICES)
        if with_web:
            wait_for_port(self.web_port)
        return self

    def wait_healthy(self, services, timeout: float = 60) -> None:
        client = RpcClient(self.env["AMQP_URI"], timeout=2)
        deadline = time.monotonic() + timeout
        try:
            for name in services:
                while True:
                    self._check_alive(name)
                    try:
                        client.call(name, "health")
                        break
                    except ServiceUnavailable:
                        if time.monotonic() > deadline:
                            raise TimeoutError(f"{name} not healthy after {timeout}s; see {self.log_dir}/{name}.log")
                        time.sleep(0.2)
        finally:
            client.close()

    def probe(self, name: str, path: str = "/pret") -> tuple[int, dict]:
        """A service process's probe (``/vivant`` or ``/pret``) or the web's (``/sante/…``): status and body."""
        port = self.web_port if name == "web" else self.health_ports[name]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:  # nosec B310
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read())

    def _check_alive(self, service):
        for name, process in self.processes.items():
            if name.partition("#")[0] == service and process.poll() is not None:
                tail = (self.log_dir / f"{name.replace('#', '-')}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")

    def stop(self) -> None:
        # The web first (no new calls), then the services, the mail catcher last (mail in flight lands).
        self.stop_process("web")
        self.stop_processes([n for n in list(self.processes) if n.partition("#")[0] in SERVICES])
        self.stop_process("mailcatcher")
        if getattr(self, "clamd", None):
            self.clamd.stop()
