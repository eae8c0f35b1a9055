"""Support reports limited per person through the real services (the outside probe: 65 reports in 2 s,
each emailing the caisse's referents): ten filings at once by one person let exactly the minute's limit
(EP_SUPPORT_REPORTS_PER_MINUTE, 3) through, on SQLite and on PostgreSQL; through the web, the next one is
refused in French above the form, with a 4xx status, and nothing is written."""
import html
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from contracts.errors import RuleViolation
from services.web.users import identity_of
from tests.helpers import authenticated, login_with, new_technicien, post_form
from tests.test_web_support import file_report

pytestmark = [pytest.mark.integration, pytest.mark.db]

PASSWORD = "Activation-Solide-2026!"
REFUSAL = "Vous venez d'envoyer 3 signalements en moins d'une minute : patientez un instant"


def test_parallel_filings_stop_at_the_limit_and_the_form_says_why(app, mailbox):
    client = app.test_client()
    email = new_technicien(app, mailbox, client)             # a fresh person: no report filed yet
    login_with(client, email, PASSWORD)
    assert post_form(client, "/cgu", {"accept": "y"}).status_code == 303
    who = identity_of(authenticated(app, email, PASSWORD))
    services = app.extensions["services"]
    with app.app_context():
        caisse = services.call("requests", "support_form", who=who)["destinations"][0]["code"]

    def file(_):
        data = {"category": "dysfonctionnement", "description": f"Rien ne répond ({uuid.uuid4().hex[:6]}).",
                "happened_on": date.today().isoformat(), "caisse_code": caisse}
        with app.app_context():
            try:
                services.call("requests", "file_support_report", data, who=who, timeout=30)
                return "ok"
            except RuleViolation as refused:
                assert refused.message.startswith(REFUSAL), refused.message
                return "limit"
    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(file, range(10)))
    assert outcomes.count("ok") == 3 and outcomes.count("limit") == 7, outcomes

    refused = file_report(client, {"caisse_code": caisse, "description": "Une fois de plus."})
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 400 and REFUSAL in page, page
    with app.app_context():
        assert len(services.call("requests", "my_support_reports", who=who)) == 3
