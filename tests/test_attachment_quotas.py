"""Attachment quotas through the real services (issue 16: « a caller can attach files without limit
across message actions »): twenty message actions at once at the edge of a request's quota, then of
the person's day, let exactly those that fit through, on SQLite and on PostgreSQL; through the web, a
refusal is said in French on the file field of the action."""
import base64
import html
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from contracts.errors import AttachmentQuotaReached
from services.requests.tests.test_attachments import PNG
from services.web.users import identity_of
from tests.helpers import authenticated, login_with, new_technicien, post_form
from tests.test_web_requests import act, created_id, document_request, submit, unique_name

pytestmark = [pytest.mark.integration, pytest.mark.db]

PASSWORD = "Activation-Solide-2026!"
ONE_FILE = [{"filename": "page.png", "content_b64": base64.b64encode(PNG).decode()}]


def at_once(app, who, request_ids) -> list[str]:
    """A message with one file on each of ``request_ids``, all at the same time: "ok" or "quota" each."""
    services = app.extensions["services"]

    def message(request_id):
        with app.app_context():
            try:
                services.call("requests", "act", request_id, "message", "Une pièce de plus.", ONE_FILE,
                              who=who, timeout=30)
                return "ok"
            except AttachmentQuotaReached:
                return "quota"
    with ThreadPoolExecutor(len(request_ids)) as pool:
        return list(pool.map(message, request_ids))


def files_of(app, who, request_id) -> int:
    with app.app_context():
        detail = app.extensions["services"].call("requests", "get", request_id, who=who)
    return sum(len(step["attachments"]) for step in detail["timeline"])


def test_parallel_messages_at_the_edge_of_the_request_then_of_the_day(app, mailbox):
    client = app.test_client()
    email = new_technicien(app, mailbox, client)           # a fresh person: a whole day of files before them
    login_with(client, email, PASSWORD)
    assert post_form(client, "/cgu", {"accept": "y"}).status_code == 303
    who = identity_of(authenticated(app, email, PASSWORD))

    # A request's side holds 10 files (EP_ATTACHMENTS_PER_REQUEST): of 20 at once, 10 pass.
    first = created_id(submit(client, "document", document_request(unique_name())))
    outcomes = at_once(app, who, [first] * 20)
    assert outcomes.count("ok") == 10 and outcomes.count("quota") == 10, outcomes
    assert files_of(app, who, first) == 10

    # The day holds 50 (EP_ATTACHMENTS_PER_DAY): 10 above, 30 more with three requests, then two empty
    # requests take 20 at once (10 each, within their own quota): 10 pass.
    for _ in range(3):
        created_id(submit(client, "document", document_request(unique_name()), [("page.png", PNG)] * 10))
    spare = [created_id(submit(client, "document", document_request(unique_name()))) for _ in range(2)]
    outcomes = at_once(app, who, spare * 10)
    assert outcomes.count("ok") == 10 and outcomes.count("quota") == 10, outcomes
    assert files_of(app, who, spare[0]) + files_of(app, who, spare[1]) == 10

    # Through the web: the action's file field says why, in French; the message is not recorded.
    for request_id, why in ((first, "Cette demande a atteint sa limite de pièces jointes (10 fichiers, 30 Mo"),
                            (spare[0], "Vous avez atteint la limite de pièces jointes du jour (50 fichiers")):
        refused = act(client, request_id, "message", "Et encore une.", [("page.png", PNG)])
        page = html.unescape(refused.get_data(as_text=True))
        assert refused.status_code == 200 and why in page, page
        field = re.search(r'<input type="file" id="([^"]+)"[^>]*aria-invalid="true"', page)
        assert field and f'<p class="error-text" id="{field[1]}-error">{why}' in page, page
        assert "Et encore une." not in re.findall(r'<p class="free-text">(.*?)</p>', page)
    # Without a file, a message still goes.
    assert "C'est fait" in html.unescape(act(client, first, "message", "Sans pièce jointe.").get_data(as_text=True))
