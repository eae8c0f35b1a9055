"""Figure ``search_scale_ratio``: name searches with 1,000,000 requests in the database against the
same with 10,000 (the generator's, bench.datagen): a rare name (the same 20 requests in both
databases) and a common one (« martin », one request in twenty), in the agent's queue (caisse 999,
about a tenth of the requests) and the technicien's history (the benched partner), POSTed through
the web as the lists' forms do. The figure is the worst of the four p50 ratios.

    .venv/bin/python -m bench.search_scale [--small 10000] [--large 1000000]
"""
import re
import time

import pyotp

from bench import datagen, harness
from bench.history_scale import main as scale_main, side_by_side, signed_in_each

DEMO_AGENT = ("agent@cpam-valfleuri.test", "Agent-Demo-2026!")
SEARCHES = {"rare": datagen.RARE_NAME[:7].upper(), "martin": "martin"}
LISTS = {"agent": "/file", "technicien": "/demandes"}


def agent_session(base_url: str, who: tuple = DEMO_AGENT, profile: str = "agent_caisse"):
    """The demo agent (or ``who``, another demo account with a second factor) signed in through the login
    form and the second factor (its published demo secret)."""
    import requests

    from services.accounts.seed import DEMO_TOTP_SECRETS

    totp = pyotp.TOTP(DEMO_TOTP_SECRETS[(profile, who[0])])
    for attempt in range(2):
        session = requests.Session()
        page = session.post(f"{base_url}/connexion", timeout=30, data={
            "csrf_token": harness.csrf_token(session, f"{base_url}/connexion"), "email": who[0],
            "password": who[1]}).text
        ticket = re.search(r'name="ticket"[^>]*value="([^"]+)"', page).group(1)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        answer = session.post(f"{base_url}/connexion/code", timeout=30, allow_redirects=False, data={
            "csrf_token": token, "ticket": ticket, "code": totp.now()})
        if answer.status_code in (302, 303):
            return session
        # A code serves once: a bench signing in at each size may just have used this one; the next comes.
        time.sleep(totp.interval - time.time() % totp.interval + 1)
    raise RuntimeError(f"agent login failed ({answer.status_code})")


def _search(session, url: str, token: str, q: str) -> None:
    """One search as the list's form POSTs it (every status: the queue opens on the open ones)."""
    answer = session.post(url, timeout=30, data={"csrf_token": token, "q": q, "status": "tous"})
    if answer.status_code != 200 or answer.text.count("<tr") < 2:
        raise RuntimeError(f"{url} « {q} » found nothing")


def _calls(system) -> dict:
    """The searches, each side signed in (in the accounts database of the size being served)."""
    sessions = {"agent": agent_session(system.web_url), "technicien": harness.web_session(system.web_url)}
    tokens = {side: harness.csrf_token(sessions[side], system.web_url + path) for side, path in LISTS.items()}
    return {f"{side}_{name}": (lambda s=sessions[side], u=system.web_url + path, t=tokens[side], q=q:
                               _search(s, u, t, q))
            for side, path in LISTS.items() for name, q in SEARCHES.items()}


def run(system, samples: int = 200) -> dict:
    signed_in = signed_in_each(lambda: _calls(system))
    small, big, ratios = side_by_side(system, signed_in, samples)
    worst = max(ratios.values())
    print(f"search_scale_ratio {worst:.2f} (target <= 1.3)")
    return {"search_scale_ratio": round(worst, 2),
            "search_p50_ms_small": {k: v["p50_ms"] for k, v in small.items()},
            "search_p50_ms_large": {k: v["p50_ms"] for k, v in big.items()}}


if __name__ == "__main__":
    scale_main(run)
