"""Figure 6, ``history_scale_ratio``: the partner's history page with 1,000,000 requests in the
database against the same with 10,000 (national scale: ~100 caisses, ~1,000,000 requests a
year). Four pages: the first, a deep one (the cursor 90% down the partner's history), and the
same two filtered by request kind. The figure is the worst of the four p50 ratios; the same
ratios of the bare RPC call (``requests.search``, no web) are printed alongside. The two
databases are generated before the system starts; the requests service is switched between them.

    .venv/bin/python -m bench.history_scale [--small 10000] [--large 1000000]
"""
import argparse
import json
import re
from collections import defaultdict

import sqlalchemy as sa

from bench import datagen, harness
from bench.requests_system import requests_system
from bench.split_tax import page_ok
from contracts import identity
from contracts.rpc import RpcClient
from services.requests import history
from services.requests.models import PartnerRequest

FILTER = {"kind": "document"}


def _deep_cursor(engine, filters: dict) -> str:
    """The keyset cursor of the row 90% down the benched partner's (filtered) history, a full page left."""
    query = sa.select(PartnerRequest).where(PartnerRequest.partner_id == datagen.BENCHED_PARTNER,
                                            PartnerRequest.convention_caisse_code == datagen.BENCHED_CAISSE,
                                            *[getattr(PartnerRequest, k) == v for k, v in filters.items()])
    with sa.orm.Session(engine) as session:
        total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        row = session.scalars(query.order_by(PartnerRequest.created_at.desc(), PartnerRequest.id.desc())
                              .offset(min(int(total * 0.9), total - 26)).limit(1)).one()
        return history._cursor(row)


def _calls(system, database: str, web, rpc, who: dict) -> dict:
    """The four pages, through the web and as the bare RPC call, on ``database``."""
    engine = system.engine(database)
    variants = {"first": ({}, None), "deep": ({}, _deep_cursor(engine, {})),
                "first_filtered": (FILTER, None), "deep_filtered": (FILTER, _deep_cursor(engine, FILTER))}
    engine.dispose()
    calls = {}
    for name, (filters, cursor) in variants.items():
        url = system.web_url + "/demandes?" + "&".join([f"{k}={v}" for k, v in filters.items()]
                                                      + ([f"apres={cursor}"] if cursor else []))
        calls[f"web_{name}"] = lambda u=url: page_ok(web, u) or _fail(u, web)
        # The identity is signed for each call, as the web does (a signature is valid two minutes).
        calls[f"rpc_{name}"] = lambda f=filters, c=cursor: rpc.call(
            "requests", "search", f, c, identity=identity.sign(who, system.context["env"]["EP_RPC_SECRET"], "requests.search"))
    return calls


def _fail(url, web=None):
    """Says what came back instead (status, the page's title, rows): a bench that stops should say why."""
    seen = ""
    if web is not None:
        again = web.get(url, timeout=30)
        title = re.search(r"<title>(.*?)</title>", again.text, re.S)
        seen = f": {again.status_code}, « {title[1].strip() if title else ''} », {again.text.count('<tr')} <tr>"
    raise RuntimeError(f"{url} did not render a full page{seen}")


def side_by_side(system, calls_of, samples: int, blocks: int = 4) -> tuple[dict, dict, dict]:
    """(p50s on the small database, on the large one, their ratios) of the calls ``calls_of(database)``
    makes, printed. Blocks alternate between the two databases (small, large, large, small…: the
    requests service restarted on the other), so a machine getting busier weighs on both sizes."""
    small_db, large_db = "requests", "requests_large"
    latencies = {small_db: defaultdict(list), large_db: defaultdict(list)}
    try:
        for block in range(blocks):
            for database in ((small_db, large_db) if block % 2 == 0 else (large_db, small_db)):
                system.serve(database)
                block_samples = harness.interleaved(calls_of(database), samples // blocks, 10)
                for name, values in block_samples.items():
                    latencies[database][name].extend(values)
    finally:
        system.serve(small_db)
    small = {name: harness.latency(v) for name, v in latencies[small_db].items()}
    big = {name: harness.latency(v) for name, v in latencies[large_db].items()}
    small_size, large = system.sizes[small_db], system.sizes[large_db]
    ratios = {name: big[name]["p50_ms"] / small[name]["p50_ms"] for name in small}
    for name in small:
        print(f"  {name:20s} p50 {small[name]['p50_ms']:7.2f} ms at {small_size:>9,} -> "
              f"{big[name]['p50_ms']:7.2f} ms at {large:,}: x{ratios[name]:.2f}")
    return small, big, ratios


def signed_in_each(make):
    """``database -> session``, one signed-in session per size: when the caisse's logs are generated too
    (``requests_system(logs=True)``), the accounts database moves with the size, and a session lives there."""
    sessions = {}
    return lambda database: sessions.get(database) or sessions.setdefault(database, make())


def run(system, samples: int = 200, blocks: int = 4) -> dict:
    web = signed_in_each(lambda: harness.web_session(system.web_url))
    who = _technicien_identity(system)
    rpc = RpcClient(system.context["env"]["AMQP_URI"], timeout=30)
    try:
        small, big, ratios = side_by_side(system, lambda database: _calls(system, database, web(database), rpc, who),
                                          samples, blocks)
    finally:
        rpc.close()
    worst = max(v for k, v in ratios.items() if k.startswith("web_"))
    print(f"history_scale_ratio {worst:.2f} (target <= 1.3)")
    return {"history_scale_ratio": round(worst, 2),
            "history_rpc_scale_ratio": round(max(v for k, v in ratios.items() if k.startswith("rpc_")), 2),
            "history_p50_ms_small": {k: v["p50_ms"] for k, v in small.items() if k.startswith("web_")},
            "history_p50_ms_large": {k: v["p50_ms"] for k, v in big.items() if k.startswith("web_")},
            "history_generation_seconds": round(system.large_generation_seconds, 1)}


def _technicien_identity(system) -> dict:
    """The demo technicien's identity, as the web signs it (for the bare RPC figures)."""
    client = RpcClient(system.context["env"]["AMQP_URI"], timeout=30)
    try:
        summary = client.call("accounts", "authenticate", *harness.DEMO_TECHNICIEN)
    finally:
        client.close()
    from services.web.users import identity_of

    return identity_of(summary)


def main(measure=None):
    """The command line of a scale figure: sizes as flags, ``measure(system, samples)`` (``run`` here)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with requests_system(args.small, args.large) as system:
        print(json.dumps((measure or run)(system, args.samples)))


if __name__ == "__main__":
    main()
