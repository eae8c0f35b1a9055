"""``make bench``: every figure of the benches, each a ratio against a baseline measured in the
same run. Prints each figure with its components; the last line is one JSON object of them all.

    .venv/bin/python -m bench [--only rpc,split,page,history,mail,sweep,submit,flood,cluster,search,caisse,stats] [sizes…]
"""
import argparse
import json
import time

from bench import (caisse_scale, cluster_failover, history_scale, login_flood, mail_rate, page_floor, rpc_roundtrip,
                   search_scale, split_tax, statistics_scale, submit_load, sweep_memory)
from bench.requests_system import requests_system

FIGURES = ("rpc", "split", "history", "mail", "sweep", "submit", "flood", "cluster", "search", "stats", "caisse", "page")
SCALED = {"history", "search", "caisse"}      # on a second, large database


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(FIGURES), help="comma-separated subset of " + ", ".join(FIGURES))
    parser.add_argument("--rpc-calls", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=10_000, help="requests in the database (split, history)")
    parser.add_argument("--history-large", type=int, default=1_000_000,
                        help="rows of the large databases (history, search, caisse: requests, emails, journal)")
    parser.add_argument("--stats-large", type=int, default=statistics_scale.LARGE,
                        help="requests of the large database when only the statistics use it (else --history-large)")
    parser.add_argument("--page-samples", type=int, default=300)
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--mail-load", type=int, default=mail_rate.DEFAULT_LOAD,
                        help="busy processes during the mail figure's rounds (its 'loaded machine')")
    parser.add_argument("--accounts-small", type=int, default=10_000)
    parser.add_argument("--accounts-large", type=int, default=100_000)
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    only = set(args.only.split(","))
    figures, later, started = {}, {}, time.monotonic()      # later: measured early, printed after the others

    def section(title):
        print(f"\n== {title} ({time.monotonic() - started:.0f} s)", flush=True)

    if "rpc" in only:
        section("RPC round trip")
        figures.update(rpc_roundtrip.run(args.rpc_calls))
    if only & {"split", "page", "stats", *SCALED}:
        large = args.history_large if only & SCALED else args.stats_large if "stats" in only else None
        with requests_system(args.requests, large, logs="caisse" in only) as system:
            if "split" in only:
                section(f"history page, full stack against in-process ({args.requests:,} requests)")
                figures.update(split_tax.run(system, args.page_samples))
            if "history" in only:
                section(f"history page, {args.requests:,} -> {args.history_large:,} requests")
                figures.update(history_scale.run(system, args.page_samples))
            if "search" in only:
                section(f"name searches, {args.requests:,} -> {args.history_large:,} requests")
                later.update(search_scale.run(system, args.page_samples))
            if "caisse" in only:
                section(f"the caisse's screens, {args.requests:,} -> {args.history_large:,} rows")
                later.update(caisse_scale.run(system, args.page_samples))
            if "page" in only:
                section(f"signed-in page against a static file ({args.requests:,} requests)")
                later.update(page_floor.run(system, args.page_samples))
            if "stats" in only:     # last: it closes the generated requests left open after 30 days
                section(f"statistics page, {args.requests:,} -> {large:,} requests")
                later.update(statistics_scale.run(system, args.page_samples))
    if "mail" in only:
        section("notifier delivery")
        figures.update(mail_rate.run(args.mails, load=args.mail_load))
    if "sweep" in only:
        section("password reminders sweep")
        figures.update(sweep_memory.run(args.accounts_small, args.accounts_large))
    if "submit" in only:
        section("concurrent submissions")
        figures.update(submit_load.run(args.submissions, args.clients))
    if "flood" in only:
        section("signed-in page during a login flood")
        figures.update(login_flood.run())
    if "cluster" in only:
        section("RabbitMQ cluster losing the queues' leader, then the web's node")
        figures.update(cluster_failover.run())
    figures.update(later)
    figures["bench_seconds"] = round(time.monotonic() - started)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
