"""Ids and cursors a caller sends that name no row (services.common.ids): a huge number (SQLite raised
OverflowError, PostgreSQL DataError, logged at ERROR with its traceback), a negative one, a text, a list
are NotFound for the delivery log's resend and a maintenance's change or cancellation, and a list's cursor
that names nothing is refused on ``cursor``; nothing is logged at ERROR."""
import pytest

from contracts.errors import NotFound, ValidationFailed
from services.common.tests.test_ids import NAMING_NOTHING, quiet  # noqa: F401 (quiet: a fixture)
from services.notifier.tests.test_maintenance import window

pytestmark = pytest.mark.db


@pytest.mark.parametrize("bad", NAMING_NOTHING)
def test_an_id_that_names_nothing_is_not_found(as_, quiet, bad):
    admin, agent = as_("admin"), as_("agent_999")
    own = agent.schedule_maintenance(window())
    for lookup in (lambda: admin.resend(bad), lambda: agent.resend(bad), lambda: agent.cancel_maintenance(bad),
                   lambda: admin.update_maintenance(bad, window())):
        with pytest.raises(NotFound):
            lookup()
    assert agent.cancel_maintenance(own["id"])["status"] == "cancelled"


@pytest.mark.parametrize("bad", NAMING_NOTHING)
def test_a_cursor_that_names_nothing_is_refused(as_, quiet, bad):
    as_("agent_999").publish_news({"title": "Nouveaux horaires", "body": "L'accueil ouvre à 8 h 30."})
    for listing in (lambda: as_("tech_a").list_news(cursor=bad), lambda: as_("agent_999").delivery_log(cursor=bad)):
        with pytest.raises(ValidationFailed) as refused:
            listing()
        assert refused.value.fields == {"cursor": "Page demandée invalide."}
    assert [n["title"] for n in as_("tech_a").list_news(cursor="")["rows"]] == ["Nouveaux horaires"]
