"""Free text a caisse agent writes for partners (a news item, a maintenance message) refuses a NIR like every
free text of the portal (contracts.nir), said on its field of the form, nothing published."""
import html
from datetime import datetime, timedelta

import pytest

from contracts.nir import MESSAGE
from tests.helpers import login, post_form

pytestmark = [pytest.mark.integration, pytest.mark.db]

NIR = "Usager NIR 1 80 01 75 123 456 60"


def test_news_and_maintenance_messages_refuse_a_nir_on_their_field(app):
    agent = app.test_client()
    login(agent, "agent_caisse")
    news = post_form(agent, "/actualites", {"title": NIR, "body": "Rappel."})
    page = html.unescape(news.get_data(as_text=True))
    assert news.status_code == 400 and f'id="n-title-error">{MESSAGE}' in page, page
    assert "<h3>" + NIR not in page
    start = (datetime.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    window = post_form(agent, "/maintenances", {"starts_at": start.isoformat(timespec="minutes"),
                                                "ends_at": (start + timedelta(hours=1)).isoformat(timespec="minutes"),
                                                "message": f"{NIR} : rappel."})
    page = html.unescape(window.get_data(as_text=True))
    assert window.status_code == 400 and f'id="m-message-error">{MESSAGE}' in page, page
