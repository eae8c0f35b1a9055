"""No log line of the running system holds an insured person's name, birth date or
NIR (GDPR): a request is filed and searched through the web (gunicorn over HTTP
for the search, whose query string carries the name), then every log of the
stack is read. The web's and the services' logs are JSON lines (contracts/logs.py):
each is parsed, and a line that is not a JSON object fails the test."""
import urllib.error
import urllib.request
import uuid

import pytest

from tests.helpers import access_lines, json_logs, login
from tests.test_web_requests import NIR, created_id, document_request, submit, unique_name

pytestmark = [pytest.mark.integration]


def test_no_insured_name_birth_date_or_nir_in_any_log(stack, client):
    name = unique_name()
    login(client, "technicien")
    refused = submit(client, "document", {**document_request(name), "comment": f"NIR {NIR}"})
    assert refused.status_code == 400                                    # the NIR went as far as the service
    request_id = created_id(submit(client, "document", document_request(name)))
    assert client.get(f"/demandes/{request_id}").status_code == 200
    marker = uuid.uuid4().hex
    for path in (f"/file?q={name}&m={marker}", f"/demandes?q={name}+1980-05-17&m={marker}"):
        try:
            urllib.request.urlopen(stack.env["EP_BASE_URL"] + path, timeout=10)
        except urllib.error.HTTPError:
            pass                                                         # anonymous: refused, but logged
    access = access_lines(stack.log_dir, '"GET /file HTTP/1.1"')
    assert any(line["path"] == "/file" for line in access)              # the access log is written...
    logs = {path.name: path.read_text(errors="replace") for path in stack.log_dir.glob("*.log")}
    assert marker not in logs["web.log"]                                  # ...without its query strings
    assert set(json_logs(stack.log_dir)) >= {"web.log", "accounts.log", "requests.log", "notifier.log"}  # all JSON
    for log_name, content in logs.items():                 # every file, raw: the JSON lines and the others
        for secret in (name, name.upper(), "1980-05-17", "17/05/1980", NIR, NIR.replace(" ", "")):
            assert secret not in content, f"{secret!r} in {log_name}"


def test_single_use_tokens_never_reach_the_access_log(stack):
    """Activation, reset and unsubscribe links carry their token in the path: the access log
    keeps the route, not the token (whoever reads the logs cannot use a pending link)."""
    token = uuid.uuid4().hex
    paths = (f"/activation/{token}", f"/mot-de-passe/nouveau/{token}", f"/actualites/desabonnement/{token}",
             f"/activation/{token}/nouveau-lien")
    for path in paths:
        try:
            urllib.request.urlopen(stack.env["EP_BASE_URL"] + path, timeout=10)
        except urllib.error.HTTPError:
            pass                                                         # unknown token, still logged
    expected = [f'"GET {route} HTTP/1.1"' for route in ("/activation/[jeton]", "/mot-de-passe/nouveau/[jeton]",
                                                        "/actualites/desabonnement/[jeton]",
                                                        "/activation/[jeton]/nouveau-lien")]
    messages = [line["message"] for line in access_lines(stack.log_dir, *expected)]
    assert token not in (stack.log_dir / "web.log").read_text(errors="replace")
    for line in expected:
        assert any(line in message for message in messages)
