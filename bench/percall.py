"""What one call costs inside a service process, beyond its domain function: ``requests.search`` (the
partner's history page, 25 rows of 10,000 requests) and ``accounts.resume_session`` (the session check
of every page), each run through nameko's worker lifecycle in a started container (every dependency
provider: database session, caller identity, metrics, correlation, events…), and the domain function
alone on a plain session, as ``bench.inprocess_web`` runs it. Printed per call: microseconds (p50),
Python function calls (cProfile) and SQL statements; with ``--profile``, cProfile's top functions
(``PERCALL_DUMP=prefix`` keeps cProfile's data). Then the same call over the broker from a client in
another process: its p50, and the function calls this process (the service's) made per call, consuming
and replying included. Both services run in this one process: accounts' change notices listen on every
SQLAlchemy session, the requests service's included (≈ 17 function calls per call here, none in production).

    .venv/bin/python -m bench.percall [--requests 10000] [--calls 2000] [--profile 25]
"""
import eventlet

eventlet.monkey_patch()         # as `nameko run` does, before anything imports socket or threading

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import sqlalchemy as sa  # noqa: E402
from kombu.serialization import dumps  # noqa: E402


def _sql_counter(engine: sa.Engine) -> list:
    count = [0]
    sa.event.listen(engine, "before_cursor_execute", lambda *a, **k: count.__setitem__(0, count[0] + 1))
    return count


def measure(name: str, call, calls: int, sql: list, profile_top: int = 0) -> dict:
    """p50 µs of ``call()`` over ``calls`` runs, then its function calls and SQL statements per run."""
    for _ in range(50):
        call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1e6)
    profiler, before, runs = cProfile.Profile(), sql[0], min(calls, 300)
    profiler.enable()
    for _ in range(runs):
        call()
    profiler.disable()
    result = {"us_p50": round(statistics.median(times), 1), "function_calls": _calls(profiler, runs, profile_top),
              "sql": round((sql[0] - before) / runs, 2)}
    print(f"  {name}: {result['us_p50']:.0f} µs p50, {result['function_calls']:.0f} function calls, "
          f"{result['sql']:g} SQL statements per call", flush=True)
    return result


def _calls(profiler, runs: int, profile_top: int) -> float:
    """Function calls per run; cProfile's top functions printed, or its data kept (PERCALL_DUMP=prefix)."""
    stats = pstats.Stats(profiler)
    if os.environ.get("PERCALL_DUMP"):
        stats.dump_stats(f"{os.environ['PERCALL_DUMP']}-{time.monotonic_ns()}-{runs}.prof")
    if profile_top:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(profile_top)
        print(out.getvalue())
    return round(stats.total_calls / runs, 1)


@contextmanager
def _container(service_cls, env: dict):
    from nameko.containers import ServiceContainer

    container = ServiceContainer(service_cls, {"AMQP_URI": env["AMQP_URI"], "serializer": "json", "max_workers": 10})
    container.start()
    try:
        yield container
    finally:
        container.stop()


def _worker_call(container, method: str, args: tuple, context: dict):
    """One call through the container's worker lifecycle, as the RPC entrypoint spawns it (no broker)."""
    entrypoint = next(e for e in container.entrypoints if e.method_name == method)
    outcome = {}

    def handle_result(worker_ctx, result, exc_info):
        outcome["result"], outcome["exc_info"] = result, exc_info
        return result, exc_info

    def call():
        worker_ctx = container.spawn_worker(entrypoint, args, {}, context_data=dict(context),
                                            handle_result=handle_result)
        container._worker_threads[worker_ctx].wait()
        if outcome["exc_info"] is not None:
            raise outcome["exc_info"][1]
        return outcome["result"]

    return call


_CLIENT = """
import json, statistics, sys, time
from contracts.rpc import RpcClient
uri, service, method, token, calls = sys.argv[1:6]
args = json.loads(sys.argv[6])
client = RpcClient(uri, timeout=30)
for _ in range(50):
    client.call(service, method, *args, identity=token or None)
times = []
for _ in range(int(calls)):
    started = time.perf_counter()
    client.call(service, method, *args, identity=token or None)
    times.append((time.perf_counter() - started) * 1e6)
client.close()
print(statistics.median(times))
"""


def over_broker(name: str, env: dict, service: str, method: str, args: tuple, token: str | None, calls: int,
                profile_top: int = 0) -> dict:
    """A client in another process calls ``service.method`` over the broker; this process (the service's)
    is profiled meanwhile: its function calls per call, everything included (consuming, the worker,
    the reply), and the client's p50."""
    from eventlet.green import subprocess

    profiler = cProfile.Profile()
    profiler.enable()
    client = subprocess.run([sys.executable, "-c", _CLIENT, env["AMQP_URI"], service, method, token or "",
                             str(calls), json.dumps(args)], capture_output=True, text=True, env=os.environ)
    profiler.disable()
    if client.returncode:
        raise RuntimeError(client.stderr)
    result = {"us_p50": round(float(client.stdout), 1), "function_calls": _calls(profiler, calls + 50, profile_top)}
    print(f"  {name}: {result['us_p50']:.0f} µs p50 (client), {result['function_calls']:.0f} function calls "
          "in the service per call", flush=True)
    return result


def _database(container):
    from services.common.db import Database

    return next(d for d in container.dependencies if isinstance(d, Database))


def run(env: dict, calls: int = 2000, profile_top: int = 0) -> dict:
    from contracts import identity, logs
    from services.accounts import sessions as account_sessions
    from services.accounts.models import Account, utcnow
    from services.accounts.service import AccountsService
    from services.requests import history
    from services.requests.service import RequestsService
    from services.web.users import identity_of
    from bench.harness import DEMO_TECHNICIEN

    figures = {}
    with _container(AccountsService, env) as accounts, _container(RequestsService, env) as requests:
        accounts_db, requests_db = _database(accounts), _database(requests)
        with accounts_db.sessions() as db:
            account = db.scalars(sa.select(Account).where(Account.email == DEMO_TECHNICIEN[0])).one()
            token, _row = account_sessions.open_session(db, account.id, "bench", utcnow())
            db.commit()
        context = {logs.CONTEXT_KEY: logs.new_id()}
        resume = _worker_call(accounts, "resume_session", (token,), context)
        who = identity_of(resume())
        signed = identity.sign(who, env["EP_RPC_SECRET"], "requests.search", ttl=3600)
        search = _worker_call(requests, "search", ({}, None), {**context, identity.CONTEXT_KEY: signed})
        if len(search()["rows"]) != history.PAGE_SIZE:
            raise RuntimeError("requests.search did not return a full page")

        def in_process():
            with requests_db.sessions() as db:
                return history.search(db, who, {}, None, history.PAGE_SIZE)

        requests_sql, accounts_sql = _sql_counter(requests_db.engine), _sql_counter(accounts_db.engine)
        print("requests.search (the history page's rows)")
        figures["search_worker"] = measure("through the worker", search, calls, requests_sql, profile_top)
        figures["search_domain"] = measure("history.search alone", in_process, calls, requests_sql)
        rows = search()
        figures["search_reply_json"] = measure("the reply's JSON", lambda: dumps(rows, "json"), calls, [0])
        figures["search_broker"] = over_broker("over the broker", env, "requests", "search", ({}, None), signed,
                                               calls, profile_top)
        print("accounts.resume_session (the session check)")
        figures["resume_worker"] = measure("through the worker", resume, calls, accounts_sql, profile_top)
        figures["resume_broker"] = over_broker("over the broker", env, "accounts", "resume_session", (token,), None,
                                               calls, profile_top)
    return figures


def main():
    from bench import datagen, harness

    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N functions of each worker call")
    parser.add_argument("--log-level", default="WARNING", help="the services' LOG_LEVEL (the benches run WARNING)")
    args = parser.parse_args()
    with harness.environment() as context:
        env = context["env"]
        harness.seed(env, ["accounts", "requests"])
        engine = harness.engine(context["urls"]["requests"])
        datagen.add_requests(engine, args.requests)
        engine.dispose()
        os.environ.update(env)
        import logging.config

        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                                   "handlers": {"json": {"()": "contracts.logs.handler", "process": "bench",
                                                         "stream": open(os.devnull, "w")}},
                                   "root": {"level": args.log_level, "handlers": ["json"]}})
        print(json.dumps(run(env, args.calls, args.profile)))


if __name__ == "__main__":
    main()
