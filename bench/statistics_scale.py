"""Figure ``statistics_scale_ratio``: the statistics page's requests fragment (12 months, through the web,
signed in with the second factor) with many requests in the database against the same with 10,000: as the
demo agent of caisse 999 (about a tenth of the requests, by partner) and as the national administrator
(every caisse). The page reads the monthly aggregates (services.requests.statistics), never the requests,
so the ratio should stay near 1. The generated requests get their first answer (a delay taken from their
id) and the aggregates are recounted (``statistics.rebuild``) before the measure.

    .venv/bin/python -m bench.statistics_scale [--small 10000] [--large 200000] [--samples 200]
"""
import argparse
import json
import time
from datetime import timedelta

import sqlalchemy as sa

from bench.history_scale import side_by_side, signed_in_each
from bench.requests_system import requests_system
from bench.search_scale import agent_session
from services.requests import statistics, tally
from services.requests.catalogue import OPEN_STATUSES
from services.requests.models import PartnerRequest, utcnow

DEMO_ADMIN = ("admin@assurance-maladie.test", "Admin-Demo-2026!")
FRAGMENT = "/statistiques/fragments/demandes?mois=12"
LARGE = 200_000            # by default: `make bench` stays reasonable; --large 1000000 for the national scale


BACKLOG_DAYS = 30


def prepare(system) -> None:
    """In every generated database: a caisse's backlog, not a year of it (the generator draws statuses at
    random, leaving a third of the year untreated; a request still open after ``BACKLOG_DAYS`` is closed
    here), first answers for the requests answered (0 to 400 hours after filing), the aggregates and tallies recounted."""
    for database in system.sizes:
        engine = system.engine(database)
        started = time.perf_counter()
        hours = PartnerRequest.id % 400
        answered_at = (sa.func.datetime(PartnerRequest.created_at, "+" + sa.cast(hours, sa.String) + " hours")
                       if engine.dialect.name == "sqlite" else PartnerRequest.created_at + hours * sa.text("interval '1 hour'"))
        with engine.begin() as conn:
            conn.execute(sa.update(PartnerRequest).where(
                PartnerRequest.status.in_(OPEN_STATUSES),
                PartnerRequest.created_at < utcnow() - timedelta(days=BACKLOG_DAYS)).values(status="closed"))
            conn.execute(sa.update(PartnerRequest).where(PartnerRequest.status.in_(statistics.ANSWERED),
                                                         PartnerRequest.answered_at.is_(None))
                         .values(answered_at=answered_at))
            statistics.rebuild(conn)
            tally.rebuild(conn)          # the requests closed above leave the caisse's counts and backlog
        engine.dispose()
        print(f"  statistics of {system.sizes[database]:,} requests recounted in {time.perf_counter() - started:.0f} s",
              flush=True)


def _fragment(session, url: str) -> None:
    answer = session.get(url, timeout=30, headers={"HX-Request": "true"})
    if answer.status_code != 200 or "<svg" not in answer.text:
        raise RuntimeError(f"{url} did not render the statistics ({answer.status_code}, {answer.text[:200]!r})")


def run(system, samples: int = 200) -> dict:
    prepare(system)
    url = system.web_url + FRAGMENT

    def calls():
        agent = agent_session(system.web_url, ("agent@cpam-valfleuri.test", "Agent-Demo-2026!"), "agent_caisse")
        admin = agent_session(system.web_url, DEMO_ADMIN, "admin_national")
        return {"agent": lambda: _fragment(agent, url), "national": lambda: _fragment(admin, url)}

    small, big, ratios = side_by_side(system, signed_in_each(calls), samples)
    worst = max(ratios.values())
    print(f"statistics_scale_ratio {worst:.2f} (target <= 1.3)")
    return {"statistics_scale_ratio": round(worst, 2),
            "statistics_p50_ms_small": {k: v["p50_ms"] for k, v in small.items()},
            "statistics_p50_ms_large": {k: v["p50_ms"] for k, v in big.items()}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=LARGE)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with requests_system(args.small, args.large) as system:
        print(json.dumps(run(system, args.samples)))


if __name__ == "__main__":
    main()
