"""Ids and cursors a caller sends that name no row (services.common.ids): a huge number (SQLite raised
OverflowError, PostgreSQL DataError, logged at ERROR with its traceback), a negative one, a text, a list
are NotFound for every lookup (ValidationFailed for a list's cursor or a form's field), and nothing is
logged at ERROR."""
import base64
import json

import pytest

from contracts.errors import NotFound, ValidationFailed
from services.common.tests.test_ids import HUGE, NAMING_NOTHING, quiet  # noqa: F401 (quiet: a fixture)
from services.requests.tests.conftest import upload
from services.requests.tests.test_attachments import PDF
from services.requests.tests.test_drafts import WEB
from services.requests.tests.test_requests_service import payload
from services.requests.tests.test_support import as_, report  # noqa: F401 (the fixture with accounts answering)

pytestmark = pytest.mark.db


@pytest.mark.parametrize("bad", NAMING_NOTHING)
def test_an_id_that_names_nothing_is_not_found(as_, quiet, bad):
    tech, agent, admin = as_("tech_a"), as_("agent_999"), as_("admin")
    created = tech.submit("document", "999", payload("document"), [upload("justificatif.pdf", PDF)])
    filed = tech.file_support_report(report())
    lookups = [lambda: tech.get(bad), lambda: agent.act(bad, "take"), lambda: tech.download(bad, 1),
               lambda: tech.download(created["id"], bad), lambda: agent.request_archive(bad),
               lambda: admin.request_archive(bad), lambda: tech.support_report(bad),
               lambda: agent.act_on_support_report(bad, "close"), lambda: tech.support_screenshot(bad),
               lambda: tech.download_document(bad)]
    for lookup in lookups:
        with pytest.raises(NotFound):
            lookup()
    assert tech.get(created["id"])["id"] == created["id"] and tech.support_report(filed["id"])["id"] == filed["id"]


@pytest.mark.parametrize("bad", [HUGE, -HUGE, "abc", None])
def test_a_cursor_or_a_field_that_names_nothing_is_refused(as_, quiet, bad):
    cursor = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00", bad]).encode()).decode()
    with pytest.raises(ValidationFailed) as refused:
        as_("tech_a").search({}, cursor)
    assert refused.value.fields == {"page": "Page invalide."}
    with pytest.raises(ValidationFailed) as refused:
        as_("agent_999", caisse_admin=True).publish_document({"category": "guide", "title": "Guide", "version": "1",
                                           "series_id": bad if bad is not None else "x"},
                                          upload("guide.pdf", PDF))
    assert refused.value.fields == {"series_id": "Nouvelle version de : document introuvable."}
    with pytest.raises(ValidationFailed) as refused:
        as_("tech_a", **WEB).keep_draft(bad, "document", "999", {"comment": "Bonjour"})
    assert refused.value.fields == {"account_id": "Compte inconnu."}


def test_a_date_filter_at_the_calendars_end_is_refused_not_an_error(as_, quiet):
    """« jusqu'au 31/12/9999 » has no next day to stop before (OverflowError in the worker, logged at ERROR)."""
    for who in ("tech_a", "agent_999"):
        with pytest.raises(ValidationFailed) as refused:
            as_(who).search({"date_to": "9999-12-31"})
        assert refused.value.fields == {"date_to": "Date invalide."}
