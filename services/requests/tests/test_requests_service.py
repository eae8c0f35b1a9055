"""The requests service's rules through its RPC methods (worker_factory on the
real migrated database, the real clamd and a real file storage)."""
import random
import string

import pytest

from contracts import events
from contracts.errors import AlreadyOpen, NotAuthenticated, NotAuthorized, NotFound, RuleViolation, ValidationFailed
from services.requests.catalogue import ACTIONS, STATUSES
from services.requests.models import PartnerRequest
from services.conftest import emitted_events
from services.requests.tests.conftest import at_once, insured, upload
from services.requests.tests.test_attachments import EICAR_PDF, PDF

pytestmark = pytest.mark.db

VALID = {
    "contact_caisse": {"subject": "droits", "message": "Question sur l'ouverture de ses droits."},
    "etude_dossier": {"dossier_type": "c2s", "comment": ""},
    "suivi_ame": {"filed_on": None, "comment": ""},
    "signalement": {"difficulty": "acces_soins", "description": "Pas de médecin traitant.", "consent": True},
    "rendez_vous": {"reason": "droits", "preferred_days": ["lundi"], "preferred_times": ["matin"],
                    "channel": "telephone", "comment": ""},
    "document": {"document_type": "attestation_droits", "comment": ""},
}


def tag() -> str:
    """Letters only: names refuse digits."""
    return "".join(random.choices(string.ascii_lowercase, k=8))


def payload(kind, person=None, **extra):
    from datetime import date, timedelta

    details = dict(VALID[kind], **extra)
    if kind == "suivi_ame" and not details.get("filed_on"):
        details["filed_on"] = (date.today() - timedelta(days=30)).isoformat()
    return {"insured": person or insured(last=f"Durand-{tag()}"), **details}


@pytest.mark.parametrize("kind", list(VALID))
def test_each_kind_is_accepted_and_starts_submitted(as_, kind):
    created = as_("tech_a").submit(kind, "999", payload(kind))
    assert created["status"] == "submitted" and created["reference"].startswith("DP-")
    assert created["timeline"][0]["status_label"] == STATUSES["submitted"]
    assert created["timeline"][0]["author"] == "Hugo Lambertin"


def test_bad_input_lists_every_field_and_stores_nothing(as_, db):
    before = db.query(PartnerRequest).count()
    with pytest.raises(ValidationFailed) as exc:
        as_("tech_a").submit("signalement", "999", {"insured": {"birth_date": "2999-01-01", "department": "20"},
                                                    "difficulty": "x", "consent": False})
    assert {"insured.last_name", "insured.birth_date", "insured.department", "difficulty", "consent"} <= set(
        exc.value.fields)
    assert db.query(PartnerRequest).count() == before


def test_a_nir_is_refused_in_any_field(as_):
    with pytest.raises(ValidationFailed) as exc:
        as_("tech_a").submit("contact_caisse", "999", payload("contact_caisse", message="NIR 2 69 05 49 588 157 80"))
    assert "numéro de sécurité sociale" in exc.value.fields["message"]


def test_unactivated_feature_is_refused(as_):
    limited = [{"code": "999", "features": ["document"]}]
    with pytest.raises(NotAuthorized):
        as_("tech_a", caisses=limited).submit("rendez_vous", "999", payload("rendez_vous"))
    with pytest.raises(NotAuthorized):
        as_("tech_a").submit("document", "998", payload("document"))          # no convention with 998


def test_only_techniciens_submit(as_):
    for role in ("gest_a", "agent_999", "admin"):
        with pytest.raises(NotAuthorized):
            as_(role).submit("document", "999", payload("document"))
    with pytest.raises(NotAuthenticated):
        as_().submit("document", "999", payload("document"))


def test_contact_caisse_is_routed_by_the_insured_department(as_):
    worker = as_("tech_b")
    worker.services.call.return_value = "998"
    routed = worker.submit("contact_caisse", "999", payload("contact_caisse", insured(department="02")))
    assert routed["caisse_code"] == "998"
    worker.services.call.assert_called_with("accounts", "caisse_for_department", "02")
    document = worker.submit("document", "999", payload("document", insured(department="02")))
    assert document["caisse_code"] == "999"                              # other kinds: the convention's caisse
    assert as_("agent_998").get(routed["id"])["reference"] == routed["reference"]
    with pytest.raises(NotFound):
        as_("agent_999").get(routed["id"])


def test_document_delivery_depends_on_the_habilitated_body_flag(as_):
    assert as_("tech_a").submit("document", "999", payload("document"))["delivery"] == "adresse"
    assert as_("tech_b").submit("document", "999", payload("document"))["delivery"] == "portail"


def test_one_open_request_per_kind_and_person(as_):
    person = insured(last=f"Unique-{tag()}")
    first = as_("tech_a").submit("document", "999", payload("document", person))
    with pytest.raises(AlreadyOpen) as exc:
        as_("tech_a").submit("document", "999", payload("document", dict(person, last_name=person["last_name"].upper())))
    assert exc.value.request_id == first["id"] and first["reference"] in exc.value.message
    as_("tech_a").submit("etude_dossier", "999", payload("etude_dossier", person))      # another kind: fine
    agent = as_("agent_999")
    agent.act(first["id"], "take", "", None)
    agent.act(first["id"], "close", "", None)
    as_("tech_a").submit("document", "999", payload("document", person))                # closed: a new one is fine


def test_a_form_sent_again_gets_its_request_and_another_submission_under_its_key_is_refused(as_, db):
    """The web's key names one submission: its retry gets the request it made; the same form gone back, edited for
    another person and sent is refused (it was taken silently for the first), nothing filed under the key twice."""
    key, person = f"cle-{tag()}-formulaire-unique", insured(last=f"Premiere-{tag()}")
    first = as_("tech_a").submit("contact_caisse", "999", payload("contact_caisse", person), idempotency_key=key)
    again = as_("tech_a").submit("contact_caisse", "999", payload("contact_caisse", person), idempotency_key=key)
    assert again["id"] == first["id"]
    with pytest.raises(RuleViolation) as other:
        as_("tech_a").submit("contact_caisse", "999", payload("contact_caisse", insured(last=f"Seconde-{tag()}")),
                             idempotency_key=key)
    assert first["reference"] in other.value.message
    with pytest.raises(RuleViolation):
        as_("tech_a").submit("rendez_vous", "999", payload("rendez_vous", person), idempotency_key=key)
    assert db.query(PartnerRequest).filter_by(idempotency_key=key).count() == 1


def test_parallel_submissions_for_one_person_open_one_request(as_, db):
    """Two tabs (ten here), each its own key, each worker on its own connection, file for the same person at once:
    one request, the others told it is open (on PostgreSQL, without the partner's turn taken first, two passed)."""
    person = insured(last=f"Course-{tag()}")
    outcomes = at_once(as_, db, "tech_a", lambda w: w.submit("document", "999", payload("document", person),
                                                             idempotency_key=f"cle-{tag()}-{tag()}-course"),
                       AlreadyOpen, "open")
    assert sorted(outcomes) == ["ok"] + ["open"] * 9, outcomes
    assert db.query(PartnerRequest).filter(PartnerRequest.insured_last_name.ilike(person["last_name"])).count() == 1


def test_attachments_are_scanned_and_a_refused_file_stores_nothing(as_, db, storage):
    created = as_("tech_a").submit("document", "999", payload("document"), [upload("justificatif.pdf", PDF)])
    assert created["timeline"][0]["attachments"][0]["filename"] == "justificatif.pdf"
    files_before = [p for p in storage.root.rglob("*") if p.is_file()]
    count = db.query(PartnerRequest).count()
    with pytest.raises(ValidationFailed) as exc:
        as_("tech_a").submit("document", "999", payload("document"),
                             [upload("ok.pdf", PDF), upload("facture.pdf", EICAR_PDF)])
    assert "antivirus" in exc.value.fields["attachment"]
    assert db.query(PartnerRequest).count() == count
    assert [p for p in storage.root.rglob("*") if p.is_file()] == files_before   # the clean one was removed too
    with pytest.raises(ValidationFailed):
        as_("tech_a").submit("document", "999", payload("document"), [upload("texte.pdf", b"pas un pdf")])


def test_lifecycle_with_messages_and_the_technicien_email(as_):
    tech, agent = as_("tech_a"), as_("agent_999")
    request = tech.submit("rendez_vous", "999", payload("rendez_vous"))
    rid = request["id"]
    agent.act(rid, "take", "", None)
    asked = agent.act(rid, "ask", "Merci de préciser les disponibilités.", None)
    assert asked["status"] == "waiting_partner"
    [(event_type, notice)] = emitted_events(agent)[-1:]
    assert event_type == events.REQUEST_STATUS_CHANGED
    assert notice["recipients"][0]["email"] == "technicien@ccas-saint-exemple.test"
    assert notice["status_label"] == "En attente du partenaire" and "insured" not in str(notice).lower()
    replied = tech.act(rid, "reply", "Disponible le mardi matin.", [upload("planning.pdf", PDF)])
    assert replied["status"] == "in_progress"
    answered = agent.act(rid, "answer", "Rendez-vous le mardi 9 h.", None)
    closed = agent.act(rid, "close", "", None)
    assert closed["status"] == "closed" and closed["actions"] == []
    timeline = tech.get(rid)["timeline"]
    assert [t["status_label"] for t in timeline] == ["Déposée", "Prise en charge", "En attente du partenaire",
                                                     "Prise en charge", "Répondue", "Clôturée"]
    assert timeline[3]["message"] == "Disponible le mardi matin." and timeline[3]["side"] == "partner"
    assert answered["status"] == "answered"


@pytest.mark.parametrize("status", list(STATUSES))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_transition_matrix(as_, db, status, action):
    allowed_from, to_status, actor, needs_message = ACTIONS[action]
    request = as_("tech_a").submit("document", "999", payload("document"))
    db.query(PartnerRequest).filter_by(id=request["id"]).update({"status": status})
    db.commit()
    worker = as_("tech_a" if actor == "partner" else "agent_999")
    if status in allowed_from:
        result = worker.act(request["id"], action, "Un message.", None)
        assert result["status"] == (to_status or status)
    else:
        with pytest.raises(RuleViolation):
            worker.act(request["id"], action, "Un message.", None)


def test_wrong_side_and_missing_message_are_refused(as_):
    rid = as_("tech_a").submit("document", "999", payload("document"))["id"]
    with pytest.raises(NotAuthorized):
        as_("tech_a").act(rid, "take", "", None)                          # the caisse's action
    as_("agent_999").act(rid, "take", "", None)
    with pytest.raises(ValidationFailed) as exc:
        as_("agent_999").act(rid, "ask", "", None)
    assert "message" in exc.value.fields
    with pytest.raises(NotAuthorized):
        as_("gest_a").act(rid, "message", "Bonjour", None)                # gestionnaires read only


def test_outgoing_documents_only_for_habilitated_bodies(as_):
    plain = as_("tech_a").submit("document", "999", payload("document"))["id"]
    habilitated = as_("tech_b").submit("document", "999", payload("document"))["id"]
    agent = as_("agent_999")
    for rid in (plain, habilitated):
        agent.act(rid, "take", "", None)
    with pytest.raises(RuleViolation):
        agent.act(plain, "answer", "Document joint.", [upload("attestation.pdf", PDF)])
    answered = agent.act(habilitated, "answer", "Document joint.", [upload("attestation.pdf", PDF)])
    out = answered["timeline"][-1]["attachments"][0]
    assert out["direction"] == "out"
    got = as_("tech_b").download(habilitated, out["id"])
    assert got["filename"] == "attestation.pdf" and got["content_type"] == "application/pdf"
    with pytest.raises(NotFound):
        as_("tech_a").download(habilitated, out["id"])                    # another partner


def test_authorization_matrix_on_every_method(as_, db):
    """tech_a (partner 1, caisse 999), tech_b (partner 2), agents of 999 and 998, admin, anonymous."""
    mine = as_("tech_a").submit("document", "999", payload("document"), [upload("a.pdf", PDF)])
    rid = mine["id"]
    attachment_id = mine["timeline"][0]["attachments"][0]["id"]
    readers = {"tech_a": True, "gest_a": True, "agent_999": True, "tech_b": False, "agent_998": False}
    for role, allowed in readers.items():
        worker = as_(role)
        calls = [lambda: worker.get(rid), lambda: worker.download(rid, attachment_id)]
        for call in calls:
            if allowed:
                assert call()
            else:
                with pytest.raises(NotFound):
                    call()
        listed = [r["id"] for r in worker.search({}, None, 100)["rows"]]
        assert (rid in listed) is allowed
    for method, args in [("get", (rid,)), ("search", ()), ("download", (rid, attachment_id)),
                         ("act", (rid, "message", "x", None)), ("caisse_overview", ()),
                         ("my_notification_preferences", ()), ("set_my_notification_preferences", (True, True)),
                         ("recent_for_my_partner", ()), ("check_field", ("document", "comment", "x")),
                         ("submit", ("document", "999", payload("document"), None))]:
        with pytest.raises((NotAuthorized, NotFound)):
            getattr(as_("admin"), method)(*args)
        with pytest.raises(NotAuthenticated):
            getattr(as_(), method)(*args)
    with pytest.raises(NotFound):
        as_("tech_b").act(rid, "message", "Intrusion", None)
    with pytest.raises(NotFound):
        as_("agent_998").act(rid, "take", "", None)
    with pytest.raises(NotAuthorized):
        as_("tech_a").caisse_overview()


def test_partner_history_filters_and_keyset_pages(as_):
    tech = as_("tech_a")
    name = f"Pagination-{tag()}"
    for n in range(7):
        tech.submit("document", "999", payload("document", insured(last=name, first=f"P{'abcdefg'[n]}")))
    page = tech.search({"q": name.lower()}, None, 3)
    seen = [r["insured_name"] for r in page["rows"]]
    while page["next"]:
        page = tech.search({"q": name.lower()}, page["next"], 3)
        seen += [r["insured_name"] for r in page["rows"]]
    assert len(seen) == 7 and len(set(seen)) == 7
    assert seen[0].endswith("Pg")                                          # newest first
    assert {r["status"] for r in tech.search({"status": "closed"}, None, 50)["rows"]} == {"closed"}
    assert all(r["kind"] == "suivi_ame" for r in tech.search({"kind": "suivi_ame"}, None, 50)["rows"])
    assert tech.search({"date_from": "2000-01-01", "date_to": "2000-12-31"}, None, 50)["rows"] == []
    with pytest.raises(ValidationFailed):
        tech.search({}, "pas-un-curseur", 10)
    # The technicien sees the partner's whole history, not only their own.
    colleague = as_("tech_a", id=77, first_name="Autre", last_name="Collègue")
    assert len(colleague.search({"q": name.lower()}, None, 50)["rows"]) == 7


def test_a_list_row_is_the_request_as_its_detail_shows_it(as_):
    """The lists read plain rows of a few columns (history.LISTED), the detail the whole request: one as_row,
    so the same fields with the same values, by name or not, on either side."""
    tech, name = as_("tech_a"), f"Ligne-{tag()}"
    made = tech.submit("document", "999", payload("document", insured(last=name, first="Zoé")))
    for worker in (tech, as_("agent_999")):
        detail = worker.get(made["id"])
        for filters in ({}, {"q": name}):
            row = next(r for r in worker.search(filters, None, 5)["rows"] if r["id"] == made["id"])
            assert len(row) == 12 and row == {key: detail[key] for key in row}


def test_caisse_overview_counts_and_late_flags(as_, db):
    agent = as_("agent_999")
    overview = agent.caisse_overview()
    counts = {c["status"]: c["count"] for c in overview["counts"]}
    assert all(counts[s] >= 1 for s in STATUSES)                           # the demo data: every status
    assert overview["oldest"][0]["reference"] == "DEMO-000002"
    as_("agent_999", caisse_admin=True).save_request_settings({"documents": ["autre"], "delivery": "adresse",
                                                               "late_after_days": 2})
    assert agent.caisse_overview()["late"] >= 2
    late = agent.search({"late": True}, None, 50)["rows"]
    assert late and all(r["late"] for r in late)


def test_caisse_overview_counts_each_week_by_kind_and_status(as_):
    from datetime import date

    agent, other = as_("agent_999"), as_("agent_998")
    before, other_before = agent.caisse_overview()["weeks"], other.caisse_overview()["weeks"]
    as_("tech_a").submit("document", "999", payload("document"), None)
    weeks = agent.caisse_overview()["weeks"]
    assert len(weeks) == 8 and all(date.fromisoformat(w["start"]).weekday() == 0 for w in weeks)
    assert 0 <= (date.today() - date.fromisoformat(weeks[-1]["start"])).days < 7      # the last one is this week
    this_week, was = weeks[-1], before[-1]
    assert this_week["total"] == was["total"] + 1
    assert this_week["by_kind"]["document"] == was["by_kind"]["document"] + 1
    assert this_week["by_status"]["submitted"] == was["by_status"]["submitted"] + 1
    for week in weeks:
        assert sum(week["by_kind"].values()) == sum(week["by_status"].values()) == week["total"]
    assert sum(w["total"] for w in weeks[:-1]) >= 3                         # the demo history of past weeks
    assert other.caisse_overview()["weeks"] == other_before                  # another caisse sees none of it


def test_notification_preferences(as_):
    tech, agent = as_("tech_a"), as_("agent_999")
    assert tech.my_notification_preferences() == {"status_changes": True, "messages": True}
    tech.set_my_notification_preferences(False, True)
    rid = tech.submit("document", "999", payload("document"))["id"]
    agent.act(rid, "take", "", None)
    assert emitted_events(agent) == []
    agent.act(rid, "message", "Une question.", None)
    assert emitted_events(agent)[-1][1]["new_message"] is True


def test_daily_late_summary_once_a_day_per_caisse(as_, db):
    from datetime import date, timedelta

    from services.requests import summary

    as_("agent_999", caisse_admin=True).save_request_settings({"documents": ["autre"], "delivery": "adresse",
                                                               "late_after_days": 2})
    asked = []

    def agents_of(code):
        asked.append(code)
        return {"name": f"Caisse {code}", "agents": [{"email": f"agent@{code}.test", "first_name": "A",
                                                       "last_name": "B"}]}

    today = date.today()
    [(event_type, sent)] = summary.daily(db, agents_of, today)
    assert event_type == events.LATE_REQUESTS_SUMMARY and sent["event_id"] == f"late:999:{today.isoformat()}"
    assert sent["count"] >= 2 and sent["references"][0] == "DEMO-000002"
    assert summary.daily(db, agents_of, today) == []                       # once a day
    assert len(summary.daily(db, agents_of, today + timedelta(days=1))) == 1

    def accounts_down(code):
        from contracts.errors import ServiceUnavailable
        raise ServiceUnavailable("accounts")

    with pytest.raises(Exception):
        summary.daily(db, accounts_down, today + timedelta(days=2))
    assert len(summary.daily(db, agents_of, today + timedelta(days=2))) == 1   # nothing was claimed


def test_nameko_run_finds_the_one_service_class():
    """`nameko run services.requests.service` runs every class of the module with entrypoints:
    the common mixins (Health, RelaysEvents) must not be among them."""
    from nameko.cli.run import import_service

    from services.requests.service import RequestsService

    assert import_service("services.requests.service") == [RequestsService]
