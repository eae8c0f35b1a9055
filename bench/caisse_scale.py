"""Figure ``caisse_scale_ratio``: every screen of the caisse agent with 1,000,000 rows in its tables against
the same with 10,000 (issue 17, point 2): the queue with each status filter and « en retard », the home
page and the fragments it loads (the requests' counts, trends and oldest; the partners' account requests),
the delivery log (notifier) and the journal of actions (accounts). Caisse 999, the demo agent's, holds a
tenth of each table (bench.datagen). GET through the web as the browser does; the figure is the worst p50
ratio. The requests, notifier and accounts services are switched between the two sizes together.

    .venv/bin/python -m bench.caisse_scale [--small 10000] [--large 1000000]
"""
import argparse
import json

from bench.history_scale import side_by_side, signed_in_each
from bench.requests_system import requests_system
from bench.search_scale import agent_session
from services.requests.catalogue import STATUSES

# name -> (path, how many "<tr" a whole answer shows at least)
SCREENS = {
    **{f"queue_{status}": (f"/file?status={status}", 26) for status in ("open", "tous", *STATUSES)},
    "queue_late": ("/file?late=1", 26),
    "home": ("/", 0),
    "home_requests": ("/fragments/file-attente", 0),
    "home_account_requests": ("/fragments/demandes-des-partenaires", 0),
    "delivery_log": ("/courriels", 51),
    "delivery_failed": ("/courriels?status=failed", 2),
    "journal": ("/journal", 201),
}


def _get(session, url: str, rows: int) -> None:
    answer = session.get(url, timeout=30)
    if answer.status_code != 200 or answer.text.count("<tr") < rows:
        raise RuntimeError(f"{url} did not render a whole page ({answer.status_code})")


def run(system, samples: int = 200) -> dict:
    agent = signed_in_each(lambda: agent_session(system.web_url))

    def calls(database):
        return {name: (lambda u=system.web_url + path, r=rows, s=agent(database): _get(s, u, r))
                for name, (path, rows) in SCREENS.items()}

    small, big, ratios = side_by_side(system, calls, samples)
    worst = max(ratios, key=ratios.get)
    print(f"caisse_scale_ratio {ratios[worst]:.2f} ({worst}; target <= 1.3)")
    return {"caisse_scale_ratio": round(ratios[worst], 2),
            "caisse_p50_ms_small": {k: v["p50_ms"] for k, v in small.items()},
            "caisse_p50_ms_large": {k: v["p50_ms"] for k, v in big.items()}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with requests_system(args.small, args.large, logs=True) as system:
        print(json.dumps(run(system, args.samples)))


if __name__ == "__main__":
    main()
