"""The whole system over a requests database of generated history (bench.datagen), plus the
in-process baseline web (bench.inprocess_web) on its own port, and optionally a second, large
requests database the requests service can be switched to: what ``split_tax`` and
``history_scale`` measure, set up once for both."""
import time
from contextlib import contextmanager
from dataclasses import dataclass

from bench import datagen, harness
from devtools.stack import free_port, wait_for_port

BASELINE = "web#baseline"       # another instance of the web, serving bench.inprocess_web


@dataclass
class RequestsSystem:
    context: dict
    stack: object
    baseline_url: str
    sizes: dict          # database name in context["urls"] -> requests it holds
    large_generation_seconds: float = 0.0
    others: tuple = ()   # services with a large database too (``<service>_large``), switched with requests

    @property
    def web_url(self) -> str:
        return self.context["env"]["EP_BASE_URL"]

    def engine(self, database="requests"):
        return harness.engine(self.context["urls"][database])

    def serve(self, database: str) -> None:
        """Restart the requests service on another of the generated databases (and the ``others`` on
        their database of the same size)."""
        large = database.endswith("_large")
        urls = {"requests": self.context["urls"][database],
                **{s: self.context["urls"][f"{s}_large" if large else s] for s in self.others}}
        moved = [s for s, url in urls.items() if self.stack.env[f"{s.upper()}_DATABASE_URL"] != url]
        for service in moved:
            self.stack.stop_process(service)
            self.stack.env[f"{service.upper()}_DATABASE_URL"] = urls[service]
            self.stack.start_process(service)
        self.stack.wait_healthy(moved)


def _generate(context: dict, database: str, size: int) -> float:
    started = time.perf_counter()
    harness.seed(context["env"], ["requests"], REQUESTS_DATABASE_URL=context["urls"][database])
    engine = harness.engine(context["urls"][database])
    datagen.add_requests(engine, size)
    engine.dispose()
    return time.perf_counter() - started


def _generate_logs(context: dict, database: str, size: int) -> float:
    """The caisse's logs of ``size`` rows: emails sent (notifier) and the journal of actions (accounts)."""
    started, urls, service = time.perf_counter(), context["urls"], database.removesuffix("_large")
    engine = harness.engine(urls[database])
    if service == "accounts":
        harness.seed(context["env"], [service], ACCOUNTS_DATABASE_URL=urls[database])
    else:
        from services.common import migrations

        migrations.upgrade(service, engine)
    (datagen.add_messages if service == "notifier" else datagen.add_audit_entries)(engine, size)
    engine.dispose()
    return time.perf_counter() - started


@contextmanager
def requests_system(size: int, large: int | None = None, logs: bool = False):
    """The system on a database of ``size`` requests; with ``large``, a second database
    (``requests_large``) of that many, generated first, for ``RequestsSystem.serve``. With ``logs``
    (and ``large``), the notifier's delivery log and the accounts' journal get as many rows, at both sizes."""
    others = ("notifier", "accounts") if logs and large else ()
    with harness.environment(extra_databases=("requests_large", *(f"{s}_large" for s in others)) if large else ()
                             ) as context:
        harness.seed(context["env"], ["accounts"])
        sizes, seconds = {"requests": size}, 0.0
        _generate(context, "requests", size)
        if large:
            seconds = _generate(context, "requests_large", large)
            print(f"  generated {large:,} requests in {seconds:.0f} s", flush=True)
            sizes["requests_large"] = large
        for service in others:
            for database, count in ((service, size), (f"{service}_large", large)):
                spent = _generate_logs(context, database, count)
                print(f"  generated {count:,} rows in {database} in {spent:.0f} s", flush=True)
        with harness.running(context) as stack:
            # Served as the web is (stack.web_command: gunicorn's settings, access log, metrics), only the app differs.
            port = free_port()
            stack.start_process(BASELINE, command=stack.web_command(port, "bench.inprocess_web:create_app()"))
            try:
                wait_for_port(port)
                yield RequestsSystem(context, stack, f"http://127.0.0.1:{port}", sizes, seconds, others)
            finally:
                stack.stop_process(BASELINE)
