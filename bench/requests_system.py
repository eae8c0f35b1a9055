"""The whole system over a requests database of generated history (bench.datagen), plus the
in-process baseline web (bench.inprocess_web) on its own port: what ``split_tax`` and
``history_scale`` measure, set up once for both."""
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass

from bench import datagen, harness
from devtools.stack import REPO_ROOT, free_port, wait_for_port


@dataclass
class RequestsSystem:
    context: dict
    stack: object
    baseline_url: str
    size: int

    @property
    def web_url(self) -> str:
        return self.context["env"]["EP_BASE_URL"]

    def engine(self):
        return harness.engine(self.context["urls"]["requests"])

    def grow_to(self, size: int) -> None:
        """Append generated requests until the database holds ``size`` of them (services running)."""
        engine = self.engine()
        datagen.add_requests(engine, size - self.size, start=self.size)
        engine.dispose()
        self.size = size


@contextmanager
def requests_system(size: int):
    with harness.environment() as context:
        harness.seed(context["env"])
        engine = harness.engine(context["urls"]["requests"])
        datagen.add_requests(engine, size)
        engine.dispose()
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
                yield RequestsSystem(context, stack, f"http://127.0.0.1:{port}", size)
            finally:
                stack.stop_process("baseline-web")
