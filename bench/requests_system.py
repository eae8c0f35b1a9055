"""The whole system over a requests database of generated history (bench.datagen), plus the
in-process baseline web (bench.inprocess_web) on its own port, and optionally a second, large
requests database the requests service can be switched to: what ``split_tax`` and
``history_scale`` measure, set up once for both."""
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

from bench import datagen, harness
from devtools.stack import REPO_ROOT, free_port, wait_for_port


@dataclass
class RequestsSystem:
    context: dict
    stack: object
    baseline_url: str
    sizes: dict          # database name in context["urls"] -> requests it holds
    large_generation_seconds: float = 0.0

    @property
    def web_url(self) -> str:
        return self.context["env"]["EP_BASE_URL"]

    def engine(self, database="requests"):
        return harness.engine(self.context["urls"][database])

    def serve(self, database: str) -> None:
        """Restart the requests service on another of the generated databases."""
        url = self.context["urls"][database]
        if self.stack.env["REQUESTS_DATABASE_URL"] != url:
            self.stack.stop_process("requests")
            self.stack.env["REQUESTS_DATABASE_URL"] = url
            self.stack.start_process("requests")
            self.stack.wait_healthy(["requests"])


def _generate(context: dict, database: str, size: int) -> float:
    started = time.perf_counter()
    harness.seed(context["env"], ["requests"], REQUESTS_DATABASE_URL=context["urls"][database])
    engine = harness.engine(context["urls"][database])
    datagen.add_requests(engine, size)
    engine.dispose()
    return time.perf_counter() - started


@contextmanager
def requests_system(size: int, large: int | None = None):
    """The system on a database of ``size`` requests; with ``large``, a second database
    (``requests_large``) of that many, generated first, for ``RequestsSystem.serve``."""
    with harness.environment(extra_databases=("requests_large",) if large else ()) as context:
        harness.seed(context["env"], ["accounts"])
        sizes, seconds = {"requests": size}, 0.0
        _generate(context, "requests", size)
        if large:
            seconds = _generate(context, "requests_large", large)
            print(f"  generated {large:,} requests in {seconds:.0f} s", flush=True)
            sizes["requests_large"] = large
        with harness.running(context) as stack:
            port = free_port()
            log = open(context["scratch"] / "logs" / "baseline-web.log", "ab")
            baseline = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "8", "--bind", f"127.0.0.1:{port}",
                 "bench.inprocess_web:create_app()"],
                cwd=REPO_ROOT, env=stack.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            stack.processes["baseline-web"] = baseline
            try:
                wait_for_port(port)
                yield RequestsSystem(context, stack, f"http://127.0.0.1:{port}", sizes, seconds)
            finally:
                stack.stop_process("baseline-web")
