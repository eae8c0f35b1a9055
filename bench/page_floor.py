"""Figure ``page_floor_ratio``: the technicien's history page (signed in, 25 rows of 10,000 requests) p50
against a static file p50 through the same gunicorn (issue 17, point 3): what a signed-in page costs
above the floor of serving anything at all. Measured alongside, call by call, to break the page down:
the sign-in page (a template and its CSRF token, no service called), the RPC call the page makes, bare
(``requests.search``, the rows), and what is left: the web's own work (routing, session cookie, identity
signing, rendering). The session check (``accounts.resume_session``, bare) is measured too: a page read
reuses the web process's check of the last few seconds (services/web/session_cache.py), so it is no
longer part of the page's own path; a change (POST) still pays it.

    .venv/bin/python -m bench.page_floor [--requests 10000] [--samples 400]
"""
import argparse
import json

import requests as http
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from bench import harness
from bench.history_scale import _technicien_identity
from bench.requests_system import requests_system
from bench.split_tax import PAGE, page_ok
from contracts import identity
from contracts.rpc import RpcClient
from services.web.users import SESSION_KEY

STATIC = "/static/app.css"


def _session_token(system, web) -> str:
    """The session token the web keeps in its signed cookie (to call the session check bare)."""
    app = Flask(__name__)
    app.secret_key = system.context["env"]["EP_SECRET_KEY"]
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    cookie = next(c.value for c in web.cookies if c.name.endswith("session"))
    return serializer.loads(cookie)[SESSION_KEY]


def run(system, samples: int = 400) -> dict:
    base, env = system.web_url, system.context["env"]
    web, anonymous = harness.web_session(base), http.Session()
    token, who = _session_token(system, web), _technicien_identity(system)
    rpc = RpcClient(env["AMQP_URI"], timeout=30)

    def get(session, url):
        answer = session.get(url, timeout=30)
        if answer.status_code != 200:
            raise RuntimeError(f"{url}: {answer.status_code}")

    try:
        latencies = harness.interleaved({
            "static": lambda: get(anonymous, base + STATIC),
            "page": lambda: page_ok(web, base + PAGE) or _fail(),
            "sign_in_page": lambda: get(anonymous, base + "/connexion"),
            "rpc_session": lambda: rpc.call("accounts", "resume_session", token),
            "rpc_search": lambda: rpc.call("requests", "search", {}, None, identity=identity.sign(
                who, env["EP_RPC_SECRET"], "requests.search")),
        }, samples, warmup=30)
    finally:
        rpc.close()
    p50 = {name: harness.latency(values)["p50_ms"] for name, values in latencies.items()}
    web_own = p50["page"] - p50["rpc_search"] - p50["static"]
    ratio = p50["page"] / p50["static"]
    print(f"  static file {p50['static']:.2f} ms; sign-in page {p50['sign_in_page']:.2f} ms; history page "
          f"{p50['page']:.2f} ms = static {p50['static']:.2f} + rows {p50['rpc_search']:.2f} + the web's own work "
          f"{web_own:.2f} ms (session check, when a change asks it: {p50['rpc_session']:.2f} ms)")
    print(f"page_floor_ratio {ratio:.2f} (target <= 2.5)")
    return {"page_floor_ratio": round(ratio, 2), "page_floor_p50_ms": {**p50, "web_own": round(web_own, 3)}}


def _fail():
    raise RuntimeError("the history page did not render whole")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=400)
    args = parser.parse_args()
    with requests_system(args.requests) as system:
        print(json.dumps(run(system, args.samples)))


if __name__ == "__main__":
    main()
