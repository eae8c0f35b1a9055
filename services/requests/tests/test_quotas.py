"""Attachment quotas (services.requests.quotas): per request and side, per person and day; a refused
call stores nothing. Parallel calls at the edge run through the real services: tests/test_attachment_quotas.py."""
import pytest
import sqlalchemy as sa

from contracts.errors import AttachmentQuotaReached
from services.requests.models import Attachment, AttachmentBudget
from services.requests.tests.conftest import upload
from services.requests.tests.test_attachments import PNG
from services.requests.tests.test_requests_service import payload

pytestmark = pytest.mark.db


@pytest.fixture
def low_quotas(monkeypatch):
    monkeypatch.setenv("EP_ATTACHMENTS_PER_REQUEST", "3")
    monkeypatch.setenv("EP_ATTACHMENTS_PER_DAY", "5")


def stored_files(storage) -> int:
    return sum(1 for path in storage.root.rglob("*") if path.is_file())


def files(n):
    return [upload(f"page-{i}.png", PNG) for i in range(n)]


def test_a_request_side_holds_so_many_files_then_refuses_on_the_file_field(as_, db, storage, low_quotas):
    tech, agent = as_("tech_a"), as_("agent_999")
    rid = tech.submit("rendez_vous", "999", payload("rendez_vous"), files(2))["id"]
    tech.act(rid, "message", "Une pièce de plus.", files(1))                          # 3 of 3
    before = stored_files(storage)
    with pytest.raises(AttachmentQuotaReached) as refused:
        tech.act(rid, "message", "Encore une.", files(1))
    assert "Cette demande a atteint sa limite de pièces jointes (3 fichiers" in refused.value.fields["attachment"]
    assert stored_files(storage) == before                                            # nothing kept
    assert db.scalar(sa.select(sa.func.count(Attachment.id)).where(Attachment.request_id == rid)) == 3
    assert len(tech.get(rid)["timeline"]) == 2                                        # nor the message
    tech.act(rid, "message", "Sans pièce jointe, le message passe.", None)
    agent.act(rid, "take", "", None)                                                  # the caisse's side: its own


def test_files_made_before_the_budgets_count(as_, db, low_quotas):
    tech = as_("tech_a")
    rid = tech.submit("rendez_vous", "999", payload("rendez_vous"), files(3))["id"]
    db.execute(sa.delete(AttachmentBudget))                                          # as before the migration
    db.commit()
    with pytest.raises(AttachmentQuotaReached):
        tech.act(rid, "message", "Une de trop.", files(1))


def test_a_person_attaches_so_many_files_a_day_whatever_the_requests(as_, db, monkeypatch, low_quotas):
    tech = as_("tech_a")
    for n in (3, 2):
        tech.submit("rendez_vous", "999", payload("rendez_vous"), files(n))
    with pytest.raises(AttachmentQuotaReached) as refused:
        tech.submit("rendez_vous", "999", payload("rendez_vous"), files(1))
    assert "limite de pièces jointes du jour (5 fichiers" in refused.value.fields["attachment"]
    tech.submit("rendez_vous", "999", payload("rendez_vous"))                         # without a file: filed
    as_("tech_b").submit("rendez_vous", "999", payload("rendez_vous"), files(1))       # another person: their own
    db.execute(sa.update(AttachmentBudget).where(AttachmentBudget.kind == "person")
               .values(period="2000-01-01"))                                         # the next day
    db.commit()
    tech.submit("rendez_vous", "999", payload("rendez_vous"), files(1))


def test_total_size_counts_too(as_, monkeypatch):
    monkeypatch.setenv("EP_ATTACHMENT_BYTES_PER_REQUEST", str(len(PNG) * 2))
    tech = as_("tech_a")
    rid = tech.submit("rendez_vous", "999", payload("rendez_vous"), files(2))["id"]
    with pytest.raises(AttachmentQuotaReached):
        tech.act(rid, "message", "Trop lourd.", files(1))
