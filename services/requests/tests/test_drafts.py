"""A form's typed input kept when the session expired (services.requests.drafts): only the web's signed
service identity keeps one, for the account it vouches for; only that technicien takes it back, once;
no NIR, no field the form does not have; filing the request or EP_DRAFT_HOURS removes it."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from contracts.errors import NotAuthorized, ValidationFailed
from services.requests import drafts
from services.requests.models import Draft, utcnow
from services.requests.tests.conftest import WHO, insured
from services.requests.tests.test_requests_service import payload

pytestmark = pytest.mark.db
WEB = {"id": None, "profile": "service", "service": "web"}
TYPED = {"insured.last_name": "Durand", "insured.first_name": "Lina", "insured.birth_date": "02/03/1985",
         "document_type": "attestation_droits", "comment": "Pour son dossier de logement.",
         "csrf_token": "jeton", "unknown": "x"}


def test_the_web_keeps_a_draft_the_technicien_takes_back_once(as_, db):
    web = as_("tech_a", **WEB)
    assert web.keep_draft(WHO["tech_a"]["id"], "document", "999", TYPED) == {"kept": 5, "without_nir": 0}
    assert as_("tech_b").take_my_draft("document", "999") is None               # another account: nothing
    assert as_("tech_a").take_my_draft("document", "998") is None               # another form: nothing
    taken = as_("tech_a").take_my_draft("document", "999")
    assert taken["fields"] == {k: v for k, v in TYPED.items() if k not in ("csrf_token", "unknown")}
    assert as_("tech_a").take_my_draft("document", "999") is None               # once
    assert db.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0


def test_one_draft_per_account_and_form_without_nir(as_, db):
    web = as_("tech_a", **WEB)
    web.keep_draft(5, "document", "999", {"comment": "première saisie"})
    kept = web.keep_draft(5, "document", "999", {"comment": "NIR 2 69 05 49 588 157 80", "insured.last_name": "Roux",
                                                 "document_type": ["attestation_droits"] * 50})
    assert kept == {"kept": 2, "without_nir": 1}
    rows = list(db.scalars(sa.select(Draft)))
    assert len(rows) == 1 and rows[0].fields["insured.last_name"] == "Roux" and "comment" not in rows[0].fields
    assert len(rows[0].fields["document_type"]) == drafts.LIST_MAX
    assert rows[0].expires_at - rows[0].created_at == timedelta(hours=24)


def test_only_the_webs_service_identity_keeps_a_draft(as_):
    for who in ({"role": "tech_a"}, {"role": "agent_999"}, {"role": "tech_a", "profile": "service", "service": "notifier"}):
        role = who.pop("role")
        with pytest.raises(NotAuthorized):
            as_(role, **who).keep_draft(5, "document", "999", TYPED)
    with pytest.raises(NotAuthorized):
        as_("agent_999").take_my_draft("document", "999")
    for bad in ((0, "document", "999"), ("5", "document", "999"), (5, "inconnu", "999"), (5, "document", "9 9")):
        with pytest.raises(ValidationFailed):
            as_("tech_a", **WEB).keep_draft(*bad, TYPED)


def test_filing_the_request_or_time_removes_the_draft(as_, db):
    web = as_("tech_a", **WEB)
    web.keep_draft(5, "document", "999", TYPED)
    web.keep_draft(5, "contact_caisse", "999", {"message": "Bonjour"})
    as_("tech_a").submit("document", "999", payload("document", insured(last="Brouillon")))
    assert [d.kind for d in db.scalars(sa.select(Draft))] == ["contact_caisse"]
    assert drafts.purge_expired(db) == 0
    assert drafts.purge_expired(db, now=utcnow() + timedelta(hours=24, seconds=1)) == 1
    web.keep_draft(5, "document", "999", TYPED)
    db.execute(sa.update(Draft).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    assert as_("tech_a").take_my_draft("document", "999") is None               # expired: not given back
    assert db.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0
