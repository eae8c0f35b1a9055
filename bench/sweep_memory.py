"""Figure 4, ``sweep_memory_ratio``: peak RSS of the password-reminder sweep over 100,000
accounts divided by the same sweep over 10,000 (flat memory: the accounts come in keyset
pages). Every generated account has a reminder due, so the sweep renders and queues one email
per account. The sweep runs in a process of its own (bench.sweep_child) against the real
accounts service; the outbox is emptied between the two runs.

    .venv/bin/python -m bench.sweep_memory [--small 10000] [--large 100000]
"""
import json
import os
import subprocess
import sys

import sqlalchemy as sa

from bench import datagen, harness
from devtools.stack import REPO_ROOT


def _sweep(context: dict) -> dict:
    output = subprocess.run([sys.executable, "-m", "bench.sweep_child", context["urls"]["notifier"]], cwd=REPO_ROOT,
                            env={**os.environ, **context["env"]}, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _empty_outbox(url: str) -> None:
    engine = harness.engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM message_caisse"))
        conn.execute(sa.text("DELETE FROM outbox_message"))
    engine.dispose()


def run(small: int = 10_000, large: int = 100_000) -> dict:
    results = {}
    with harness.environment() as context:
        harness.seed(context["env"], ["accounts"])
        accounts = harness.engine(context["urls"]["accounts"])
        with harness.running(context, ["accounts"]):
            generated = 0
            for size in (small, large):
                datagen.add_technicians(accounts, size - generated, start=generated)
                generated = size
                results[size] = _sweep(context)
                _empty_outbox(context["urls"]["notifier"])
                print(f"  {size:>7,} accounts: {results[size]['queued']:,} reminders queued in "
                      f"{results[size]['seconds']:.1f} s, peak RSS {results[size]['peak_rss_kb'] / 1024:.0f} MiB")
        accounts.dispose()
    ratio = results[large]["peak_rss_kb"] / results[small]["peak_rss_kb"]
    print(f"sweep_memory_ratio {ratio:.2f} (target <= 1.2)")
    return {"sweep_memory_ratio": round(ratio, 2), "sweep_seconds_small": results[small]["seconds"],
            "sweep_seconds_large": results[large]["seconds"], "sweep_peak_mib_small": round(results[small]["peak_rss_kb"] / 1024, 1),
            "sweep_peak_mib_large": round(results[large]["peak_rss_kb"] / 1024, 1)}


def main():
    harness.command_line(run, small=10_000, large=100_000)


if __name__ == "__main__":
    main()
