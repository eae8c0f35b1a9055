"""Name search through the requests worker on the real database: every typed word prefix-matches a
word of the insured's names, accents and case ignored, within the caller's scope, keyset-paged;
the words go with an erasure, and migration 0014 builds them for the requests already made."""
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from services.common import migrations
from services.common.db import make_engine
from services.requests import name_search
from services.requests.models import PartnerRequest, RequestNameWord
from services.requests.tests.conftest import insured
from services.requests.tests.test_requests_service import payload, tag

pytestmark = pytest.mark.db


def _file(tech, last, first, caisse="999"):
    return tech.submit("document", caisse, payload("document", insured(last=last, first=first)))["reference"]


def _found(worker, q, cursor=None, limit=50):
    return {r["reference"] for r in worker.search({"q": q}, cursor, limit)["rows"]}


def test_prefix_accents_case_and_several_words(as_):
    tech, agent, name = as_("tech_a"), as_("agent_999"), f"Lefèvre-{tag()}"
    jean = _file(tech, name, "Jean")
    helene = _file(tech, name, "Hélène")
    for worker in (tech, agent):                                    # both sides
        assert _found(worker, "LEFEV") >= {jean, helene}
        assert _found(worker, name.upper()) == {jean, helene}
        assert _found(worker, name.split("-")[1][:4]) >= {jean, helene}   # the start of each word
        assert _found(worker, f"jean {name}") == {jean}              # every word, in any order
        assert _found(worker, f"{name} helene") == {helene}          # accents ignored
        assert _found(worker, f"{name} HÉL") == {helene}
        assert _found(worker, f"{name} ean") == set()                # inside a word: no
        assert _found(worker, f"{name} jeanne") == set()             # a longer word than the name's: no


def test_scope_partner_b_never_sees_a_and_agents_their_caisse(as_):
    name = tag()
    mine = _file(as_("tech_a"), name, "Alice")
    theirs = _file(as_("tech_b"), name, "Alice", caisse="998")
    assert _found(as_("tech_a"), name) == {mine}
    assert _found(as_("tech_b"), name) == {theirs}
    assert _found(as_("agent_999"), name) == {mine}
    assert _found(as_("agent_998"), name) == {theirs}


def test_keyset_pages_of_a_search(as_):
    tech, name = as_("tech_a"), tag()
    made = [_file(tech, name, first) for first in ("Anne", "Bruno", "Chloé", "Denis", "Émile")]
    for worker in (tech, as_("agent_999")):
        page, seen = worker.search({"q": name[:5]}, None, 2), []
        seen += [r["reference"] for r in page["rows"]]
        while page["next"]:
            page = worker.search({"q": name[:5]}, page["next"], 2)
            seen += [r["reference"] for r in page["rows"]]
        assert seen == made[::-1]                                      # newest first, each once
        # The oldest alone matches the second word: the newer candidates are read past, batch after batch.
        assert [r["reference"] for r in worker.search({"q": f"{name} anne"}, None, 1)["rows"]] == [made[0]]


def test_a_name_matching_two_words_of_one_request_lists_it_once(as_):
    name = tag()
    made = _file(as_("tech_a"), f"{name}-{name}e", name.capitalize())
    assert [r["reference"] for r in as_("agent_999").search({"q": name}, None, 10)["rows"]] == [made]


def test_erasure_removes_the_words(as_, db):
    name = tag()
    _file(as_("tech_a"), name, "Paul")
    request_id = db.scalar(sa.select(PartnerRequest.id).where(PartnerRequest.insured_last_name == name))
    prefixes = {word[:n] for word in (name, "paul") for n in range(1, len(word) + 1)}   # one row each, shared ones once
    assert db.scalar(sa.select(sa.func.count()).where(RequestNameWord.request_id == request_id)) == len(prefixes)
    as_("agent_999").personal_data_erase({"last_name": name, "first_name": "Paul", "birth_date": "1985-03-02"})
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).where(RequestNameWord.request_id == request_id)) == 0
    assert _found(as_("agent_999"), name) == set()


def test_migration_0014_indexes_the_requests_already_made(db, database_urls):
    engine = make_engine(database_urls["requests"])
    config = migrations.alembic_config("requests", engine=engine)
    try:
        command.downgrade(config, "0013")
        with Session(engine) as session:
            session.execute(sa.insert(PartnerRequest.__table__).values(
                reference="OLD-1", partner_id=1, caisse_code="999", convention_caisse_code="999", kind="document",
                status="submitted", insured_last_name="Dupré", insured_first_name="Zoé", insured_key="",
                details={}, created_by=5, created_at=sa.func.now(), updated_at=sa.func.now()))
            session.commit()
        migrations.upgrade("requests", engine)
        with Session(engine) as session:
            old = session.scalar(sa.select(PartnerRequest.id).where(PartnerRequest.reference == "OLD-1"))
            words = set(session.scalars(sa.select(RequestNameWord.prefix).where(RequestNameWord.request_id == old)))
        assert words == name_search.prefixes("Dupré", "Zoé") == {"d", "du", "dup", "dupr", "dupre", "z", "zo", "zoe"}
    finally:
        migrations.upgrade("requests", engine)
        engine.dispose()
