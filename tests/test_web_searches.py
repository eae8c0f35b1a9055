"""Searches by a person's name keep the name out of every URL (issue 16): the history, the caisse's
queue and the delivery log POST their terms (CSRF-checked), their pager POSTs them again with the
cursor, a name in a URL is ignored, and the served web's access log never holds the name."""
import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest

from tests.helpers import LOGINS, access_lines, csrf_from, login, search
from tests.test_web_requests import created_id, document_request, submit, text, unique_name

pytestmark = pytest.mark.db
# Every place a page can name a URL: links, forms, HTMX requests and pushes, and redirects.
URL_ATTRIBUTES = re.compile(r'(?:href|action|src|hx-get|hx-post|hx-put|hx-delete|hx-push-url|hx-replace-url)="([^"]*)"')
URL_HEADERS = ("Location", "HX-Push-Url", "HX-Replace-Url", "HX-Location", "HX-Redirect")


def urls_in(response) -> list[str]:
    found = URL_ATTRIBUTES.findall(response.get_data(as_text=True))
    return [urllib.parse.unquote_plus(u).lower() for u in found + [response.headers.get(h, "") for h in URL_HEADERS]]


def assert_in_no_url(term: str, *responses) -> None:
    for response in responses:
        assert not [u for u in urls_in(response) if term.lower() in u], term


def test_the_history_and_the_queue_find_by_name_with_the_name_in_no_url(client, app):
    name = unique_name()
    login(client, "technicien")
    request_id = created_id(submit(client, "document", document_request(name)))
    page = search(client, "/demandes", q=name)
    region = search(client, "/demandes", headers={"HX-Request": "true", "HX-Target": "resultats"}, q=name)
    assert f'href="/demandes/{request_id}"' in text(page) and name.upper() in text(region)
    assert "<html" not in text(region)
    assert_in_no_url(name, page, region)
    ignored = client.get(f"/demandes?q={name}")                  # an old bookmark: the name is not honoured
    assert 'name="q" value=""' in text(ignored)

    agent = app.test_client()
    login(agent, "agent_caisse")
    queue = search(agent, "/file", q=name)
    assert f'href="/demandes/{request_id}"' in text(queue)
    assert_in_no_url(name, queue)
    assert "Aucune demande" in text(search(agent, "/file", q=name, status="closed"))
    refused = agent.post("/file", data={"q": name})                     # a POST without its CSRF token
    assert refused.status_code == 400


def test_the_delivery_log_finds_by_recipient_with_the_address_in_no_url(client):
    address, _ = LOGINS["technicien"]
    login(client, "agent_caisse")
    found = search(client, "/courriels", recipient=address)
    assert found.status_code == 200 and address in text(found)
    assert_in_no_url(address, found)
    assert 'name="recipient" value=""' in text(client.get(f"/courriels?recipient={address}"))


def test_the_served_access_log_holds_no_searched_name(stack):
    """Over HTTP through gunicorn, as a browser would: sign in, search by name, read web.log."""
    name = unique_name()
    base = stack.env["EP_BASE_URL"]
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(path, data):
        token = csrf_from(browser.open(base + path, timeout=10).read().decode())
        body = urllib.parse.urlencode({**data, "csrf_token": token}).encode()
        return browser.open(urllib.request.Request(base + path, data=body, headers={"Referer": base + path}),
                            timeout=10).read().decode()

    email, password = LOGINS["technicien"]
    post("/connexion", {"email": email, "password": password})
    assert "Aucune demande ne correspond" in post("/demandes", {"q": name})         # the search ran
    served = access_lines(stack.log_dir, '"POST /demandes HTTP/1.1"')       # its line once the answer has left
    assert any((line["method"], line["path"]) == ("POST", "/demandes") for line in served)
    log = (stack.log_dir / "web.log").read_text(errors="replace")
    assert name not in log and name.lower() not in log and name.upper() not in log
