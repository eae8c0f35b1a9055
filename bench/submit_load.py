"""Figure 5, ``submit_errors``: 2,000 document requests filed through the web (the form, CSRF
and all: gunicorn -> web -> RPC -> requests service -> database) by 16 concurrent clients, each
logged in as the demo technicien; every request is about a different insured person. Counts the
submissions that did not end on the new request's page, and the throughput.

    .venv/bin/python -m bench.submit_load [--submissions 2000] [--clients 16]
"""
import re

from bench import harness
from bench.load import concurrently

FORM = "/demandes/nouvelle/999/document"


def _name(n: int) -> str:
    """Letters only (the form refuses digits in a name): n in base 26."""
    letters = ""
    while True:
        n, digit = divmod(n, 26)
        letters += chr(ord("a") + digit)
        if not n:
            return "Banc" + letters


def run(submissions: int = 2000, clients: int = 16) -> dict:
    with harness.environment() as context:
        harness.seed(context["env"])
        with harness.running(context) as stack:
            base = stack.env["EP_BASE_URL"]
            sessions = []
            for _ in range(clients):
                session = harness.web_session(base)
                session.form_token = harness.csrf_token(session, base + FORM)
                sessions.append(session)

            def submit(session, n: int) -> bool:
                answer = session.post(base + FORM, timeout=60, allow_redirects=False, data={
                    "csrf_token": session.form_token, "insured.civility": "Mme", "insured.last_name": _name(n),
                    "insured.first_name": "Jeanne", "insured.birth_date": "1980-05-17", "insured.department": "60",
                    "document_type": "attestation_droits", "comment": ""})
                return answer.status_code == 303 and bool(re.fullmatch(r"/demandes/\d+", answer.headers["Location"]))

            result = concurrently(sessions, submit, submissions)
    latency = harness.latency(result["latencies"])
    errors = result["errors"]
    print(f"  {submissions} submissions by {clients} clients in {result['seconds']:.1f} s: "
          f"{result['throughput']:.1f} per second, p50 {latency['p50_ms']:.0f} ms, p95 {latency['p95_ms']:.0f} ms")
    if errors:
        print(f"  first errors: {errors[:3]}")
    print(f"submit_errors {len(errors)} (target 0)")
    return {"submit_errors": len(errors), "submit_throughput": round(result["throughput"], 1),
            "submit_p50_ms": latency["p50_ms"], "submit_p95_ms": latency["p95_ms"]}


def main():
    harness.command_line(run, submissions=2000, clients=16)


if __name__ == "__main__":
    main()
