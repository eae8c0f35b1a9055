"""Metrics on the real stack: a journey through gunicorn and the services, then every /metrics scraped
(web and the three services, each on its own port) shows the counts it caused; no personal data in
them; and every metric the alert rules and the Grafana dashboard use is one the code exports."""
import json
import os
import re
import time
import urllib.request
import uuid
from contextlib import contextmanager

import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from devtools.stack import REPO_ROOT
from services.requests.tests.test_attachments import EICAR_PDF, PDF
from tests.helpers import LOGINS, accounts_db, csrf_from, login, post_form
from tests.test_web_requests import created_id, document_request, submit, unique_name

pytestmark = [pytest.mark.integration, pytest.mark.db]     # the probes' queries on PostgreSQL too

PROCESSES = ("web", "accounts", "requests", "notifier")
DEPLOY = REPO_ROOT / "deploy"


def scrape_text(stack, name) -> str:
    with urllib.request.urlopen(stack.metrics_url(name), timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


class Scrape:
    def __init__(self, text: str):
        self.text = text
        self.families = list(text_string_to_metric_families(text))

    def value(self, sample_name, **labels) -> float:
        """The sum of the samples called ``sample_name`` whose labels include ``labels``."""
        return sum(s.value for f in self.families for s in f.samples
                   if s.name == sample_name and labels.items() <= s.labels.items())

    def has(self, sample_name, **labels) -> bool:
        return any(s.name == sample_name and labels.items() <= s.labels.items()
                   for f in self.families for s in f.samples)

    def names(self) -> set[str]:
        """What a query may name: each sample's name, and each family's (with its suffixes) even without samples."""
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
        found = {s.name for f in self.families for s in f.samples}
        for family in self.families:
            found |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
        return found


def scrape_all(stack) -> dict[str, Scrape]:
    return {name: Scrape(scrape_text(stack, name)) for name in PROCESSES}


@contextmanager
def stack_environment(stack):
    saved = dict(os.environ)
    os.environ.update(stack.env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def almost_locked(stack, email: str) -> None:
    """The unknown address (its counter made by a first failure) one failure short of its lock (waiting for nine growing delays would take minutes)."""
    with stack_environment(stack):
        from services.accounts import throttle

        counter = throttle.for_address(email)
    accounts_db("UPDATE sign_in_counter SET failures = 9, last_failure_at = '2000-01-01 00:00:00' WHERE key = :key",
                key=counter)


def wrong_login_over_http(stack, email: str) -> requests.Response:
    """Through gunicorn, as a browser: the page (its CSRF token, its cookie), then the form."""
    browser = requests.Session()
    page = browser.get(f"{stack.env['EP_BASE_URL']}/connexion", timeout=10)
    return browser.post(f"{stack.env['EP_BASE_URL']}/connexion", timeout=10, allow_redirects=False,
                        data={"email": email, "password": "pas-le-bon", "csrf_token": csrf_from(page.text)})


def test_a_journey_shows_in_every_metrics_endpoint(stack, client, mailbox):
    unknown = f"inconnu-{uuid.uuid4().hex[:8]}@exemple.test"
    token = uuid.uuid4().hex
    name = unique_name()
    before = scrape_all(stack)

    # Web, through gunicorn: two wrong logins (the second locks the address), a page that does not exist.
    assert wrong_login_over_http(stack, unknown).status_code == 200
    almost_locked(stack, unknown)
    assert wrong_login_over_http(stack, unknown).status_code == 200
    assert requests.get(f"{stack.env['EP_BASE_URL']}/nulle-part-{uuid.uuid4().hex}", timeout=10).status_code == 404
    requests.get(f"{stack.env['EP_BASE_URL']}/activation/{token}", timeout=10)       # a link's token in the path

    # Services, through the web: a request filed with a clean file, one refused for a virus, a reset email.
    login(client, "technicien")
    created_id(submit(client, "document", document_request(name), [("justificatif.pdf", PDF)]))
    assert submit(client, "document", document_request(unique_name()), [("virus.pdf", EICAR_PDF)]).status_code == 400
    mails_before = len(mailbox.messages())
    email = LOGINS["technicien_b"][0]
    assert post_form(client, "/mot-de-passe/oublie", {"email": email}).status_code in (200, 303)
    mailbox.wait_for(email, after=mails_before, containing="réinitialisation")

    after = scrape_all(stack)

    def delta(process, sample, **labels):
        return after[process].value(sample, **labels) - before[process].value(sample, **labels)

    # web: routes by status (the in-process test client is not gunicorn: only the HTTP requests above count)
    assert delta("web", "ep_http_requests_total", route="/connexion", method="GET", status="200") == 2
    assert delta("web", "ep_http_requests_total", route="/connexion", method="POST", status="200") == 2
    assert delta("web", "ep_http_requests_total", route="<aucune>", method="GET", status="404") == 1
    assert delta("web", "ep_http_request_duration_seconds_count", route="/connexion") == 4
    assert delta("web", "ep_web_rpc_calls_total", service="accounts", method="authenticate", outcome="refused") == 2
    assert delta("web", "ep_http_requests_total", route="/activation/<token>", method="GET") == 1      # the rule

    # accounts: the calls, the typed refusals, the failures and the lock
    assert delta("accounts", "ep_rpc_calls_total", service="accounts", method="authenticate", outcome="refused") == 2
    assert delta("accounts", "ep_rpc_refusals_total", method="authenticate", error="InvalidCredentials") == 2
    assert delta("accounts", "ep_rpc_duration_seconds_count", method="authenticate") == 3     # and the technicien
    assert delta("accounts", "ep_login_failures_total", action="login_failed") == 2
    assert delta("accounts", "ep_login_locks_total", action="login_failed") == 1
    assert after["accounts"].value("ep_sessions_open", service="accounts") >= 1
    for gauge in ("ep_outbox_backlog", "ep_outbox_oldest_age_seconds", "ep_outbox_oldest_due_seconds"):
        assert after["accounts"].has(gauge, service="accounts", outbox="events"), gauge
        assert after["notifier"].has(gauge, service="notifier", outbox="emails"), gauge

    # requests: the filing, its scans by outcome, clamd answering
    assert delta("requests", "ep_rpc_calls_total", service="requests", method="submit", outcome="ok") == 1
    assert delta("requests", "ep_rpc_refusals_total", method="submit", error="ValidationFailed") == 1
    assert delta("requests", "ep_scans_total", outcome="clean") == 1
    assert delta("requests", "ep_scans_total", outcome="infected") == 1
    assert after["requests"].value("ep_clamd_up", service="requests") == 1
    assert after["requests"].value("ep_outbox_lease_seconds", service="requests", outbox="events") == 30

    # notifier: the email sent, the outbox measured, the sweeps (every 2 s in the test stack) counted
    assert delta("notifier", "ep_emails_total", outcome="sent") >= 1
    assert after["notifier"].value("ep_outbox_lease_seconds", service="notifier", outbox="emails") == 60
    # The journey may take less than one sweep interval: wait for the next tick (a few intervals at most).
    sweeps = before["notifier"].value("ep_sweep_runs_total", service="notifier", sweep="sweep", outcome="ok")
    deadline = time.monotonic() + 5 * float(stack.env["EP_NOTIFIER_SWEEP_SECONDS"])
    while after["notifier"].value("ep_sweep_runs_total", service="notifier", sweep="sweep", outcome="ok") <= sweeps:
        assert time.monotonic() < deadline, "no sweep of the notifier counted in five intervals"
        time.sleep(0.2)
        after["notifier"] = Scrape(scrape_text(stack, "notifier"))
    assert after["notifier"].value("ep_sweep_last_success_timestamp_seconds", sweep="sweep") > 0
    for step in ("reminders", "maintenance_notices", "newsletters", "delivery_log_purge"):    # what each step did
        assert after["notifier"].has("ep_sweep_items_total", service="notifier", step=step), step

    # No personal data: neither the addresses nor the insured person's name, nor a link's token, in any of them.
    for process, scrape in after.items():
        for secret in (unknown, email, LOGINS["technicien"][0], name, name.upper(), token):
            assert secret not in scrape.text, (secret, process)


def promql_metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression reads: label matchers, ranges, strings, grouping clauses and
    function calls set aside."""
    text = re.sub(r'"[^"]*"', "", expression)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    words = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", text))
    keywords = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                "offset", "e", "inf", "nan"}
    return {w for w in words if w.lower() not in keywords}


def rule_expressions() -> list[str]:
    groups = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    found = []
    for path in (DEPLOY / "grafana" / "dashboards").glob("*.json"):
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            found += [target["expr"] for target in panel.get("targets", [])]
    return found


def test_alerts_and_dashboard_use_only_exported_metrics(stack):
    exported = set().union(*(scrape.names() for scrape in scrape_all(stack).values()))
    rules, panels = rule_expressions(), dashboard_expressions()
    assert len(rules) >= 8 and len(panels) >= 8
    for expression in rules + panels:
        names = promql_metric_names(expression)
        assert names, expression
        for metric in names:
            assert metric == "up" or metric in exported, (metric, expression)


def test_metrics_are_not_on_the_public_site(stack):
    assert requests.get(f"{stack.env['EP_BASE_URL']}/metrics", timeout=10).status_code == 404
    assert stack.metrics_ports["web"] != stack.web_port
