"""Each caisse's part of the requests: the features its conventions open (« Historique », each
request kind), its settings (documents offered, delivery policy, overdue delay: read and saved
by its administrateur or the national administrator, every change logged), and its queue,
which does not depend on the partner's conventions of today."""
import json
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from contracts.catalogue import FEATURES
from contracts.errors import FeatureNotOpen, NotAuthenticated, NotAuthorized, NotFound, RuleViolation, ValidationFailed
from services.requests import caisse_settings
from services.requests.catalogue import OFFERABLE_DOCUMENTS
from services.requests.models import CaisseSetting, CaisseSettingChange
from services.requests.tests.conftest import upload
from services.requests.tests.test_requests_service import PDF, payload

pytestmark = pytest.mark.db
NO_HISTORY = [f for f in FEATURES if f != "historique"]
FORM = {"documents": ["attestation_droits", "vaccination", "mt_dents"], "delivery": "adresse", "late_after_days": 4}


def admin_of(as_, caisse="999"):
    return as_(f"agent_{caisse}", caisse_admin=True)


# --- the features a convention opens -------------------------------------------------------------

def test_history_is_refused_without_the_feature_and_own_requests_stay_followable(as_):
    mine = as_("tech_a").submit("document", "999", payload("document"))
    colleague = as_("tech_a", id=77, first_name="Autre", last_name="Collègue")
    theirs = colleague.submit("etude_dossier", "999", payload("etude_dossier"))
    without = {"caisses": [{"code": "999", "name": "CPAM", "features": NO_HISTORY}]}
    for role, override in (("tech_a", without), ("gest_a", without)):
        with pytest.raises(FeatureNotOpen) as refused:
            as_(role, **override).search({}, None, 10)
        assert refused.value.message.startswith("Non ouvert à votre structure") and refused.value.feature == "historique"
    tech = as_("tech_a", **without)
    assert tech.get(mine["id"])["reference"] == mine["reference"]           # followed by its author (emails link there)
    assert mine["id"] in [r["id"] for r in tech.recent_for_my_partner(50)]
    with pytest.raises(NotFound):
        tech.get(theirs["id"])                                               # the structure's history: not open
    assert theirs["id"] not in [r["id"] for r in tech.recent_for_my_partner(50)]
    with pytest.raises(NotFound):
        as_("gest_a", **without).get(mine["id"])


def test_history_of_one_caisse_only_where_it_is_open(as_):
    tech = as_("tech_b")
    at_999 = tech.submit("document", "999", payload("document"))
    at_998 = tech.submit("document", "998", payload("document"))
    split = {"caisses": [{"code": "999", "features": list(FEATURES)}, {"code": "998", "features": NO_HISTORY}]}
    gest = as_("tech_b", id=91, profile="gestionnaire", **split)
    listed = [r["id"] for r in gest.search({}, None, 100)["rows"]]
    assert at_999["id"] in listed and at_998["id"] not in listed
    with pytest.raises(FeatureNotOpen):
        gest.search({"caisse": "998"}, None, 10)
    with pytest.raises(NotAuthorized):
        gest.search({"caisse": "997"}, None, 10)                             # no convention at all


def test_each_request_kind_is_refused_where_the_convention_does_not_open_it(as_):
    only_documents = {"caisses": [{"code": "999", "name": "CPAM", "features": ["document"]}]}
    tech = as_("tech_a", **only_documents)
    with pytest.raises(FeatureNotOpen) as refused:
        tech.submit("rendez_vous", "999", payload("rendez_vous"))
    assert refused.value.feature == "rendez_vous"
    with pytest.raises(FeatureNotOpen):
        tech.request_form("rendez_vous", "999")
    with pytest.raises(NotAuthorized):
        tech.request_form("document", "998")                                 # no convention with 998
    assert tech.request_form("document", "999")["kind_label"] == "Demander un document"
    with pytest.raises(NotAuthorized):
        as_("gest_a").request_form("document", "999")                       # techniciens file requests
    with pytest.raises(ValidationFailed):
        as_("tech_a").request_form("pas_un_type", "999")


def test_the_caisse_queue_keeps_requests_of_an_ended_convention(as_):
    """Partner B's convention with 998 ends: the identity drops 998 (accounts). The partner no longer
    reaches those requests; caisse 998 keeps them in its queue, its archive and its counts, and acts on them."""
    filed = as_("tech_b").submit("document", "998", payload("document"))
    agent = as_("agent_998")
    before = {c["status"]: c["count"] for c in agent.caisse_overview()["counts"]}
    ended = {"caisses": [{"code": "999", "features": list(FEATURES)}]}
    with pytest.raises(NotFound):
        as_("tech_b", **ended).get(filed["id"])
    assert filed["id"] not in [r["id"] for r in as_("tech_b", **ended).search({}, None, 100)["rows"]]
    assert filed["id"] in [r["id"] for r in agent.search({"status": "open"}, None, 100)["rows"]]
    assert agent.get(filed["id"])["reference"] == filed["reference"]
    agent.act(filed["id"], "take", "", None)
    agent.act(filed["id"], "close", "", None)
    assert filed["id"] in [r["id"] for r in agent.search({"status": "closed"}, None, 100)["rows"]]
    after = {c["status"]: c["count"] for c in agent.caisse_overview()["counts"]}
    assert after["closed"] == before["closed"] + 1 and after["submitted"] == before["submitted"] - 1


# --- the settings: who, what, the audit ------------------------------------------------------------

def test_defaults_are_todays_behaviour(as_):
    got = admin_of(as_).request_settings()
    assert got["caisse_code"] == "999" and got["documents"] == list(OFFERABLE_DOCUMENTS)
    assert got["delivery"] == caisse_settings.PORTAL and got["late_after_days"] == 10 and got["changes"] == []
    assert "notification_droits" in got["choices"]["documents"]


def test_only_the_caisse_administrateur_and_the_national_administrator(as_, db):
    admin_of(as_).save_request_settings(FORM)
    assert as_("admin").request_settings("999")["late_after_days"] == 4
    as_("admin").save_request_settings({**FORM, "late_after_days": 6}, "999")
    with pytest.raises(ValidationFailed) as exc:
        as_("admin").request_settings()                                     # which caisse?
    assert "caisse_code" in exc.value.fields
    for worker, args in ((as_("agent_999"), ()), (admin_of(as_), ("998",)), (as_("tech_a", caisse_admin=True), ()),
                         (as_("gest_a"), ())):
        for call in (lambda: worker.request_settings(*args), lambda: worker.save_request_settings(FORM, *args)):
            with pytest.raises(NotAuthorized):
                call()
    with pytest.raises(NotAuthenticated):
        as_().request_settings()
    assert admin_of(as_, "998").request_settings()["late_after_days"] == 10   # its own, untouched
    authors = [c["author_name"] for c in admin_of(as_).request_settings()["changes"]]
    assert authors == ["Administrateur national", "Claire Dumoulin"]


def test_bad_input_names_each_field_and_writes_nothing(as_, db):
    admin = admin_of(as_)
    with pytest.raises(ValidationFailed) as exc:
        admin.save_request_settings({"documents": ["attestation_droits", "passeport"], "delivery": "pigeon",
                                     "late_after_days": "0"})
    assert set(exc.value.fields) == {"documents", "delivery", "late_after_days"}
    with pytest.raises(ValidationFailed) as exc:
        admin.save_request_settings({**FORM, "documents": []})
    assert exc.value.fields == {"documents": "Proposez au moins un document."}
    assert db.scalar(sa.select(sa.func.count()).select_from(CaisseSettingChange)) == 0
    assert db.get(CaisseSetting, "999") is None


def test_each_change_is_logged_with_before_and_after(as_):
    admin = admin_of(as_)
    saved = admin.save_request_settings(FORM)
    [change] = saved["changes"]
    assert change["author_name"] == "Claire Dumoulin"
    assert {c["setting"]: (c["before"], c["after"]) for c in change["changes"]} == {
        "documents": (list(OFFERABLE_DOCUMENTS), FORM["documents"]), "delivery": ("portail_habilites", "adresse"),
        "late_after_days": (10, 4)}
    assert admin.save_request_settings(FORM)["changes"] == saved["changes"]   # nothing changed: nothing logged
    assert len(admin.save_request_settings({**FORM, "late_after_days": "5"})["changes"]) == 2


# --- the settings applied ------------------------------------------------------------------------

def test_only_the_documents_offered_are_in_the_form_and_accepted(as_):
    admin_of(as_).save_request_settings(FORM)
    form = as_("tech_a").request_form("document", "999")
    fields = {f["name"]: f for f in form["kind_fields"]["document"]}
    assert list(fields["document_type"]["choices"]) == ["attestation_droits", "prevention"]
    assert list(fields["prevention_offer"]["choices"]) == ["vaccination", "mt_dents"]
    tech = as_("tech_a")
    for refused in ({"document_type": "ceam_provisoire"},
                    {"document_type": "prevention", "prevention_offer": "depistage"}):
        with pytest.raises(ValidationFailed) as exc:
            tech.submit("document", "999", payload("document", **refused))
        assert exc.value.fields == {list(refused)[-1]: "Ce document n'est pas proposé par cette caisse."}
    assert tech.submit("document", "999", payload("document", document_type="prevention",
                                                  prevention_offer="mt_dents"))["status"] == "submitted"
    other = {f["name"]: f for f in as_("tech_b").request_form("document", "998")["kind_fields"]["document"]}
    assert "notification_droits" in other["document_type"]["choices"]      # caisse 998: all, by default


def test_the_delivery_policy_is_told_on_the_form_and_applied_to_the_answers(as_):
    assert as_("tech_b").request_form("document", "999")["delivery"]["mode"] == "portail"     # habilitated body
    assert as_("tech_a").request_form("document", "999")["delivery"]["mode"] == "adresse"
    assert as_("tech_a").request_form("etude_dossier", "999")["delivery"] is None
    portal = as_("tech_b").submit("document", "999", payload("document"))
    admin_of(as_).save_request_settings(FORM)                                 # always to the insured's address
    form = as_("tech_b").request_form("document", "999")
    assert form["delivery"]["mode"] == "adresse" and "adresse connue de l'assuré" in form["delivery"]["text"]
    later = as_("tech_b").submit("document", "999", payload("document"))
    assert later["delivery"] == "adresse" and portal["delivery"] == "portail"
    agent = as_("agent_999")
    for request in (portal, later):
        agent.act(request["id"], "take", "", None)
        with pytest.raises(RuleViolation) as refused:
            agent.act(request["id"], "answer", "Document joint.", [upload("attestation.pdf", PDF)])
        assert "adresse connue de l'assuré" in refused.value.message
        assert agent.act(request["id"], "answer", "Envoyé par courrier.", None)["status"] == "answered"


def test_the_overdue_delay_is_the_caisses(as_):
    agent = as_("agent_999")
    assert agent.caisse_overview()["late_after_days"] == 10
    admin_of(as_).save_request_settings({**FORM, "late_after_days": 2})
    overview = agent.caisse_overview()
    assert overview["late_after_days"] == 2 and overview["late"] >= 2
    assert as_("agent_998").caisse_overview()["late_after_days"] == 10
    # The supervision screen counts the same, each caisse by its own delay, in the caller's reach only.
    mine = agent.supervision()
    assert [(c["caisse_code"], c["late"], c["late_after_days"]) for c in mine["caisses"]] == [("999", overview["late"], 2)]
    assert mine["caisses"][0]["oldest_days"] >= 2 and {"events", "sweeps", "instance"} <= set(mine)
    assert [(c["caisse_code"], c["late_after_days"]) for c in as_("agent_998").supervision()["caisses"]] == [("998", 10)]
    assert ("999", overview["late"]) in [(c["caisse_code"], c["late"]) for c in as_("admin").supervision()["caisses"]]
    with pytest.raises(NotAuthorized):
        as_("tech_a").supervision()


# --- pushing: parallel saves --------------------------------------------------------------------

# One administrator's save, in a process of its own (threads under eventlet would share green locks),
# at the agreed instant: the database sees them all at once.
RACER = """
import json, sys, time
from sqlalchemy.orm import Session
from services.common.db import make_engine
from services.requests import caisse_settings
url, who, form, start = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), float(sys.argv[4])
engine = make_engine(url)
with Session(engine) as session:
    session.connection()
    session.rollback()
    time.sleep(max(0.0, start - time.time()))
    caisse_settings.save(session, who, form)
print("saved")
"""


def test_parallel_saves_leave_one_consistent_row_and_a_chained_log(db, database_urls):
    """Eight saves at once on a caisse that has no row yet: one row, eight changes, each starting
    from the one before (no lost update), the row equal to the last."""
    who = {"id": 2, "profile": "agent_caisse", "caisse_code": "997", "caisse_admin": True,
           "first_name": "Claire", "last_name": "Dumoulin"}
    start = time.time() + 6
    racers = [subprocess.Popen([sys.executable, "-c", RACER, database_urls["requests"], json.dumps(who),
                                json.dumps({**FORM, "late_after_days": days}), str(start)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for days in range(20, 28)]
    outputs = [racer.communicate(timeout=120) for racer in racers]
    assert [out for out, _ in outputs] == ["saved\n"] * 8, [err for _, err in outputs]
    [row] = db.scalars(sa.select(CaisseSetting).where(CaisseSetting.caisse_code == "997")).all()
    log = db.scalars(sa.select(CaisseSettingChange).where(CaisseSettingChange.caisse_code == "997")
                     .order_by(CaisseSettingChange.id)).all()
    assert len(log) == 8
    assert log[0].changes["late_after_days"][0] == 10
    for previous, following in zip(log, log[1:]):
        assert following.changes["late_after_days"][0] == previous.changes["late_after_days"][1]
    assert row.late_after_days == log[-1].changes["late_after_days"][1]
    assert row.documents == FORM["documents"] and row.delivery == "adresse"
