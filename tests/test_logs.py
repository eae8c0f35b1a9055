"""Structured logs (contracts/logs.py): the correlation id of one web request, created by the web and
returned to the browser (``X-Request-ID``), is found in the JSON lines of the web, of the services it
called and of the notifier that sent the email it caused; a client's own id is kept only if it has the
expected shape; an unexpected error's page shows it as « Référence de l'incident » (the 503 pages:
tests/test_degraded.py)."""
import re
import time
import uuid
from datetime import date

import pytest

from tests.conftest import web_app
from tests.faults.web import WebUser
from tests.helpers import csrf_from, json_logs

pytestmark = [pytest.mark.integration]

REFERENT = "n.roussel@cpam-valfleuri.test"       # a local referent of the technicien's caisse (support reports)
FIELDS = ("time", "level", "process", "logger", "message", "correlation_id")


def test_one_request_s_id_is_in_the_web_the_services_and_the_notifier_s_send(stack, mailbox):
    base = stack.env["EP_BASE_URL"]
    technicien = WebUser(base, "technicien").http
    form = technicien.get(base + "/support/signaler", timeout=30)
    before = len(mailbox.messages())
    # One request: the session checked by accounts, the report filed by requests, its event relayed to the
    # notifier, which emails the caisse's referents.
    filed = technicien.post(base + "/support/signaler", allow_redirects=False, timeout=30, data={
        "category": "dysfonctionnement", "description": f"La page reste blanche ({uuid.uuid4().hex[:6]}).",
        "happened_on": date.today().isoformat(), "happened_time": "10:30", "page": "/demandes",
        "csrf_token": csrf_from(form.text)})
    assert filed.status_code == 303, filed.text
    correlation_id = filed.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", correlation_id)
    mailbox.wait_for(REFERENT, after=before)

    def found():
        logs = json_logs(stack.log_dir)
        mine = {name: [line for line in lines if line["correlation_id"] == correlation_id]
                for name, lines in logs.items()}
        return logs, {
            "web": [line for line in mine["web.log"] if line["logger"] == "gunicorn.access"
                    and (line["method"], line["path"], line["status"]) == ("POST", "/support/signaler", 303)],
            "accounts": [line for line in mine["accounts.log"] if line.get("entrypoint") == "accounts.resume_session"],
            "requests": [line for line in mine["requests.log"] if line.get("entrypoint", "").startswith("requests.")
                         and line["outcome"] == "ok"],
            "notifier event": [line for line in mine["notifier.log"]
                               if line.get("entrypoint") == "requests.support_report_filed"],
            "notifier send": [line for line in mine["notifier.log"]
                              if line["logger"] == "services.notifier.outbox" and line.get("status") == "sent"],
        }

    deadline = time.monotonic() + 30          # the access line is written once the answer has left
    logs, lines = found()
    while not all(lines.values()) and time.monotonic() < deadline:
        time.sleep(0.3)
        logs, lines = found()
    assert all(lines.values()), {place: len(found_lines) for place, found_lines in lines.items()}
    assert len(lines["web"]) == 1
    assert {line["kind"] for line in lines["notifier send"]} == {"support_report_filed"}
    for name, file_lines in logs.items():                  # every line of every process: the same fields
        for line in file_lines:
            assert set(FIELDS) <= set(line), f"{name}: {line}"
        assert {line["process"] for line in file_lines} == {name.partition("-")[0].removesuffix(".log")}


def test_a_client_s_id_is_kept_only_with_the_expected_shape(client):
    sent = str(uuid.uuid4())                                # what a proxy in front may set
    assert client.get("/connexion", headers={"X-Request-ID": sent}).headers["X-Request-ID"] == sent
    for refused in ("jean.dupont@exemple.test", "0" * 65, "abc", "1234567890abcdef faux", "Dupont-Jean-0123456789"):
        given = client.get("/connexion", headers={"X-Request-ID": refused}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", given)
    first, second = (client.get("/connexion").headers["X-Request-ID"] for _ in range(2))
    assert first != second and re.fullmatch(r"[0-9a-f]{32}", first)


def test_an_unexpected_error_shows_its_reference(stack):
    apps = web_app(stack)
    app = next(apps)
    try:
        app.config["PROPAGATE_EXCEPTIONS"] = False        # as in production: the error page, not the trace

        def broken():
            raise RuntimeError("panne simulée")
        app.view_functions["legal.site_map"] = broken      # a page open to anyone
        response = app.test_client().get("/plan-du-site")
        page = response.get_data(as_text=True)
        assert response.status_code == 500 and "Erreur inattendue" in page
        assert f"Référence de l'incident : <code>{response.headers['X-Request-ID']}</code>" in page
        assert "panne simulée" not in page
    finally:
        next(apps, None)                                   # closes its RPC client
