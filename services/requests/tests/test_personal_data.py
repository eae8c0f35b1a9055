"""An insured person's data on request (GDPR): the agent of the caisse finds,
exports and erases it; erasure really removes rows and files, keeps a trace
without the person, and nobody else can do any of it."""
import pytest

from contracts.errors import NotAuthenticated, NotAuthorized, ValidationFailed
from services.requests.models import Attachment, PartnerRequest, PersonalDataRecord, RequestEvent
from services.requests.tests.conftest import insured, upload
from services.requests.tests.test_requests_service import PDF, payload, tag

pytestmark = pytest.mark.db


def test_find_export_then_erase_one_person(as_, db, storage):
    last = f"Effacee-{tag()}"
    person = insured(last=last, first="Léa", birth="1990-01-02")
    tech = as_("tech_a")
    first = tech.submit("document", "999", payload("document", person), [upload("a.pdf", PDF)])
    second = tech.submit("etude_dossier", "999", payload("etude_dossier", person), None)
    other = tech.submit("document", "999", payload("document"), None)                 # someone else
    as_("agent_999").act(second["id"], "take", "", None)
    asked = {"last_name": last.upper(), "first_name": "lea", "birth_date": "1990-01-02"}  # case and accents free

    agent = as_("agent_999")
    assert {r["reference"] for r in agent.personal_data_find(asked)} == {first["reference"], second["reference"]}
    exported = agent.personal_data_export(asked)
    assert [r["reference"] for r in exported["requests"]] == [first["reference"], second["reference"]]
    assert exported["requests"][0]["insured"]["last_name"] == last
    assert exported["requests"][0]["timeline"][0]["files"][0]["filename"] == "a.pdf"
    assert exported["requests"][1]["timeline"][-1]["status"] == "Prise en charge"

    key = db.query(Attachment).filter_by(request_id=first["id"]).one().storage_key
    assert storage.get(key)
    erased = agent.personal_data_erase(asked)
    assert erased["erased"] == 2
    db.expire_all()
    for model, column in ((PartnerRequest, PartnerRequest.id), (RequestEvent, RequestEvent.request_id),
                          (Attachment, Attachment.request_id)):
        assert db.query(model).filter(column.in_([first["id"], second["id"]])).count() == 0
    with pytest.raises(FileNotFoundError):
        storage.get(key)
    assert db.get(PartnerRequest, other["id"]) is not None
    records = db.query(PersonalDataRecord).order_by(PersonalDataRecord.id.desc()).limit(3).all()
    assert [r.action for r in records] == ["erase", "export", "find"]      # finding and exporting are traced too
    for record in records:
        assert record.request_count == 2 and record.agent_name and last not in record.references
    assert agent.personal_data_find(asked) == []


def test_only_the_caisse_agent_reaches_a_person_data(as_):
    person = insured(last=f"Protegee-{tag()}")
    as_("tech_a").submit("document", "999", payload("document", person), None)
    asked = {k: person[k] for k in ("last_name", "first_name", "birth_date")}
    assert as_("agent_998").personal_data_find(asked) == []                 # another caisse: nothing
    assert as_("agent_998").personal_data_erase(asked)["erased"] == 0
    assert len(as_("agent_999").personal_data_find(asked)) == 1             # still there
    for role in ("tech_a", "gest_a", "tech_b", "admin"):
        for method in ("personal_data_find", "personal_data_export", "personal_data_erase"):
            with pytest.raises(NotAuthorized):
                getattr(as_(role), method)(asked)
    with pytest.raises(NotAuthenticated):
        as_().personal_data_export(asked)


@pytest.mark.parametrize("asked", [{}, {"last_name": "Durand"}, {"last_name": "Durand", "first_name": "Lina",
                                                                   "birth_date": "hier"}, "Durand", None])
def test_the_person_is_named_fully_or_refused(as_, asked):
    with pytest.raises(ValidationFailed):
        as_("agent_999").personal_data_erase(asked)


def test_finished_requests_are_deleted_after_the_retention_period(as_, db, storage, monkeypatch):
    from datetime import timedelta

    from services.requests import retention
    from services.requests.models import utcnow

    tech, agent = as_("tech_a"), as_("agent_999")
    closed = tech.submit("document", "999", payload("document"), [upload("a.pdf", PDF)])
    agent.act(closed["id"], "take", "", None)
    agent.act(closed["id"], "close", "", None)
    still_open = tech.submit("document", "999", payload("document"), None)
    key = db.query(Attachment).filter_by(request_id=closed["id"]).one().storage_key
    later = utcnow() + timedelta(days=400)
    assert retention.purge_finished(db, storage, now=later) == 0              # default: kept
    monkeypatch.setenv("EP_REQUEST_RETENTION_DAYS", "365")
    assert retention.purge_finished(db, storage, now=utcnow()) == 0           # not yet
    assert retention.purge_finished(db, storage, now=later) >= 1
    db.expire_all()
    assert db.get(PartnerRequest, closed["id"]) is None
    assert db.query(RequestEvent).filter_by(request_id=closed["id"]).count() == 0
    with pytest.raises(FileNotFoundError):
        storage.get(key)
    assert db.get(PartnerRequest, still_open["id"]) is not None               # open: kept whatever its age


def test_the_caisse_tally_follows_submissions_status_changes_and_erasure(as_, db):
    """The counts and trends of the agent's home page (services.requests.tally) are kept with each
    change: after filing, acting and erasing they are what a count of the requests gives."""
    from services.requests import tally
    from services.requests.models import RequestStatusTally, RequestTally

    def kept():
        db.expire_all()
        return (sorted((t.caisse_code, t.week, t.kind, t.status, t.count) for t in db.query(RequestTally) if t.count),
                sorted((t.caisse_code, t.status, t.count) for t in db.query(RequestStatusTally) if t.count))

    last = f"Comptee-{tag()}"
    person = insured(last=last, first="Léa", birth="1990-01-02")
    tech, agent = as_("tech_a"), as_("agent_999")
    taken = tech.submit("document", "999", payload("document", person), None)
    rejected = tech.submit("etude_dossier", "999", payload("etude_dossier", person), None)
    agent.act(taken["id"], "take", "", None)
    agent.act(taken["id"], "close", "", None)
    agent.act(rejected["id"], "reject", "Hors de notre champ.", None)
    before_erasure = kept()
    assert agent.personal_data_erase({"last_name": last, "first_name": "Léa", "birth_date": "1990-01-02"})["erased"] == 2
    after_erasure = kept()
    tally.rebuild(db.connection())
    assert kept() == after_erasure != before_erasure
