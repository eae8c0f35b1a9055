"""The portal's documentation (issue 15, point 4) through the requests service's RPC methods: who publishes,
who reads and downloads, versions kept, the announcement event; real database, clamd and storage."""
import base64

import pytest

from contracts import events
from contracts.errors import NotAuthorized, NotFound, UnreadableAttachment, ValidationFailed
from services.conftest import emitted_events
from services.requests.tests.conftest import upload
from services.requests.tests.test_attachments import PDF
from services.requests.tests.test_readability import encrypted_pdf, pdf_with_pages

pytestmark = pytest.mark.db

CAISSES = [{"code": "999"}, {"code": "998"}]


@pytest.fixture
def as_(as_):
    def make(role=None, **overrides):
        worker = as_(role, **overrides)
        worker.services.call.side_effect = lambda service, method, *a: (
            CAISSES if (service, method) == ("accounts", "list_caisses") else None)
        return worker
    return make


def cgu(version="2026-01", **changes):
    return {"category": "cgu", "title": "Conditions générales d'utilisation", "version": version, **changes}


def test_the_caisse_administrateur_publishes_versions_and_the_cgu_history_is_kept(as_):
    admin_999 = as_("agent_999", caisse_admin=True)
    first = admin_999.publish_document(cgu("2026-01"), upload("cgu.pdf", PDF))
    [(kind, payload)] = emitted_events(admin_999)
    assert kind == events.DOCUMENT_PUBLISHED and payload["caisse_codes"] == ["999"]
    assert payload["new_version"] is False
    second = admin_999.publish_document(cgu("2026-06", series_id=first["id"]), upload("cgu-2.pdf", pdf_with_pages(2)))
    assert second["series_id"] == first["id"] and emitted_events(admin_999)[-1][1]["new_version"] is True
    [document] = as_("tech_a").documents()["documents"]
    assert (document["category_label"], document["current"]["version"]) == ("Conditions générales d'utilisation",
                                                                            "2026-06")
    assert [v["version"] for v in document["previous"]] == ["2026-01"]
    old = as_("tech_a").download_document(first["id"])
    assert base64.b64decode(old["content_b64"]) == PDF and old["filename"] == "cgu.pdf"


def test_only_the_administrateur_of_a_caisse_and_the_national_admin_publish(as_):
    with pytest.raises(NotAuthorized):
        as_("agent_999").publish_document(cgu(), upload("cgu.pdf", PDF))      # a plain agent
    with pytest.raises(NotAuthorized):
        as_("gest_a").publish_document(cgu(), upload("cgu.pdf", PDF))
    admin = as_("admin")
    national = admin.publish_document({"category": "guide", "title": "Guide du portail", "version": "1"},
                                      upload("guide.pdf", PDF))
    assert national["caisse_code"] == ""
    assert emitted_events(admin)[0][1]["caisse_codes"] == ["999", "998"]       # announced to every caisse
    for role in ("tech_a", "tech_b", "agent_998", "gest_a"):
        assert [d["title"] for d in as_(role).documents()["documents"]] == ["Guide du portail"]


def test_each_reads_the_national_documents_and_their_caisses_only(as_):
    doc_998 = as_("agent_998", caisse_admin=True).publish_document(
        {"category": "formulaire", "title": "Formulaire de contact", "version": "A"}, upload("f.pdf", PDF))
    assert [d["title"] for d in as_("tech_b").documents()["documents"]] == ["Formulaire de contact"]
    assert as_("tech_a").documents()["documents"] == []           # partner A: caisse 999 only
    assert as_("agent_999").documents()["documents"] == []
    for role in ("tech_a", "agent_999", "gest_a"):
        with pytest.raises(NotFound):
            as_(role).download_document(doc_998["id"])
    assert as_("admin").download_document(doc_998["id"])["filename"] == "f.pdf"
    with pytest.raises(ValidationFailed):                          # another caisse's series: not found for 999
        as_("agent_999", caisse_admin=True).publish_document(
            {"category": "formulaire", "title": "x", "version": "B", "series_id": doc_998["id"]}, upload("f.pdf", PDF))


@pytest.mark.parametrize("data, file, field", [
    ({"category": "autre", "title": "T", "version": "1"}, True, "category"),
    ({"category": "guide", "title": "", "version": "1"}, True, "title"),
    ({"category": "guide", "title": "T", "version": ""}, True, "version"),
    ({"category": "guide", "title": "Guide 185036012345658", "version": "1"}, True, "title"),
    ({"category": "guide", "title": "T", "version": "1"}, False, "attachment"),
])
def test_bad_input_is_refused_on_its_field(as_, db, data, file, field):
    from services.requests.models import Document
    with pytest.raises(ValidationFailed) as refused:
        as_("admin").publish_document(data, upload("g.pdf", PDF) if file else None)
    assert field in refused.value.fields
    assert db.query(Document).count() == 0


def test_an_unreadable_file_is_refused_and_nothing_stored(as_, db, storage):
    from services.requests.models import Document
    with pytest.raises(UnreadableAttachment):
        as_("admin").publish_document({"category": "guide", "title": "T", "version": "1"},
                                      upload("g.pdf", encrypted_pdf("secret")))
    assert db.query(Document).count() == 0 and not [p for p in storage.root.rglob("*") if p.is_file()]
