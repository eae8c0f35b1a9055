"""One password-reminder sweep in a process of its own (bench.sweep_memory measures it): the
notifier's real sweep code over its real database, paging through the real accounts service
over RPC. Prints one JSON line: queued, seconds, peak RSS (VmHWM, kB)."""
import json
import os
import sys
import time

from sqlalchemy.orm import Session

from bench.harness import service_token
from contracts.rpc import RpcClient
from services.common import migrations
from services.common.db import make_engine
from services.notifier import reminders


def peak_rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def main(notifier_url: str) -> None:
    engine = make_engine(notifier_url)
    migrations.upgrade("notifier", engine)
    client = RpcClient(os.environ["AMQP_URI"], timeout=30)
    token = service_token(os.environ, "accounts.password_expiries")
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        queued = reminders.sweep(session, lambda *args: client.call("accounts", "password_expiries", *args,
                                                                    identity=token))
    seconds = time.perf_counter() - started
    client.close()
    print(json.dumps({"queued": queued, "seconds": round(seconds, 2), "peak_rss_kb": peak_rss_kb()}))


if __name__ == "__main__":
    main(sys.argv[1])
