"""Support reports (issue 15, point 3) through the requests service's RPC methods, on the real migrated
database (SQLite, and PostgreSQL with -m db), the real clamd and a real file storage."""
import base64
from datetime import date, timedelta

import pytest

from contracts import events
from contracts.errors import NotAuthorized, NotFound, RuleViolation, UnreadableAttachment, ValidationFailed
from services.conftest import emitted_events
from services.requests.tests.conftest import at_once, upload
from services.requests.tests.test_attachments import EICAR_PDF, PNG, build_png

pytestmark = pytest.mark.db

REFERENTS = {"999": [{"kind": "mailbox", "name": "Service partenaires", "email": "partenaires@cpam-999.test"},
                     {"kind": "person", "name": "Jeanne Sans-Adresse", "email": ""}],
             "998": [{"kind": "person", "name": "Paul Référent", "email": "paul@cpam-998.test"}]}


def accounts(service, method, *args):
    assert (service, method) == ("accounts", "caisse_contacts")
    return {"code": args[0], "name": f"CPAM {args[0]}", "referents": REFERENTS.get(args[0], [])}


@pytest.fixture
def as_(as_):
    def make(role=None, **overrides):
        worker = as_(role, **overrides)
        worker.services.call.side_effect = accounts
        return worker
    return make


def report(**changes):
    return {"category": "dysfonctionnement", "description": "Le bouton « Envoyer » ne répond pas.",
            "happened_on": date.today().isoformat(), "happened_time": "10:30", "page": "/demandes/nouvelle",
            **changes}


def test_a_technicien_files_to_the_caisse_of_their_convention_and_its_referents_are_emailed(as_):
    tech = as_("tech_a", caisses=[{"code": "999", "name": "CPAM de Valfleuri", "features": []}],
               partner_name="CCAS de Saint-Exemple")
    filed = tech.file_support_report(report(), upload("capture.png", PNG))
    assert filed["reference"].startswith("SUP-") and filed["status_label"] == "Transmis à la caisse"
    assert (filed["caisse_code"], filed["caisse_name"], filed["level"]) == ("999", "CPAM de Valfleuri", "caisse")
    assert filed["screenshot"]["filename"] == "capture.png" and filed["page"] == "/demandes/nouvelle"
    assert [line["action"] for line in filed["timeline"]] == ["filed"]
    [(kind, payload)] = emitted_events(tech)
    assert kind == events.SUPPORT_REPORT_FILED
    assert [r["email"] for r in payload["recipients"]] == ["partenaires@cpam-999.test"]     # addresses only
    assert payload["organisation"] == "CCAS de Saint-Exemple" and payload["report_id"] == filed["id"]
    shot = tech.support_screenshot(filed["id"])
    assert base64.b64decode(shot["content_b64"]) == PNG


def test_a_partner_under_several_conventions_chooses_the_caisse(as_):
    tech = as_("tech_b")
    assert [d["code"] for d in tech.support_form()["destinations"]] == ["999", "998"]
    with pytest.raises(ValidationFailed) as refused:
        tech.file_support_report(report())
    assert refused.value.fields == {"caisse_code": "Caisse : choisissez la caisse concernée."}
    with pytest.raises(ValidationFailed):
        tech.file_support_report(report(caisse_code="997"))           # not one of theirs
    filed = tech.file_support_report(report(caisse_code="998"))
    assert filed["caisse_code"] == "998"
    assert emitted_events(tech)[0][1]["recipients"][0]["email"] == "paul@cpam-998.test"


def test_an_agent_files_to_their_caisse_and_the_national_admin_to_national_support(as_):
    agent = as_("agent_998", caisse_name="CPAM des Hauts-Fictifs")
    assert agent.file_support_report(report())["caisse_code"] == "998"
    admin = as_("admin")
    filed = admin.file_support_report(report(category="question"))
    assert (filed["level"], filed["caisse_code"], filed["status_label"]) == ("national", "",
                                                                             "Transmis au support national")
    assert emitted_events(admin) == []                     # no local referents: national support's queue
    assert filed["id"] in [r["id"] for r in admin.support_queue()["rows"]]


@pytest.mark.parametrize("changes, field, message", [
    ({"description": "Mon NIR est 1 85 03 60 123 456 58, il ne passe pas."}, "description", "NIR"),
    ({"description": "  "}, "description", "obligatoire"),
    ({"category": "plainte"}, "category", "Nature"),
    ({"happened_on": (date.today() + timedelta(days=1)).isoformat()}, "happened_on", "futur"),
    ({"happened_on": "hier"}, "happened_on", "obligatoire"),
    ({"happened_on": "0001-01-01", "happened_time": "00:00"}, "happened_on", "année écoulée"),   # before UTC's day 1
    ({"happened_time": "25:99"}, "happened_time", "HH:MM"),
    ({"page": "/demandes?nir=185036012345658"}, "page", "NIR"),
])
def test_bad_input_is_refused_on_its_field_and_nothing_is_written(as_, db, changes, field, message):
    from services.requests.models import SupportReport
    tech = as_("tech_a")
    with pytest.raises(ValidationFailed) as refused:
        tech.file_support_report(report(**changes), upload("capture.png", PNG))
    assert message in refused.value.fields[field]
    assert db.query(SupportReport).count() == 0 and emitted_events(tech) == []


def test_the_screenshot_is_checked_like_every_attachment(as_, db, storage):
    from services.requests.models import SupportReport
    tech = as_("tech_a")
    with pytest.raises(ValidationFailed) as infected:
        tech.file_support_report(report(), upload("capture.pdf", EICAR_PDF))
    assert "antivirus" in infected.value.fields["attachment"]
    with pytest.raises(UnreadableAttachment) as tiny:
        tech.file_support_report(report(), upload("capture.png", build_png(10, 10)))
    assert "trop petite" in tiny.value.fields["attachment"]
    assert db.query(SupportReport).count() == 0 and not [p for p in storage.root.rglob("*") if p.is_file()]


def test_the_caisse_answers_escalates_and_national_support_closes_with_the_reporter_emailed(as_):
    tech = as_("tech_a")
    filed = tech.file_support_report(report())
    agent = as_("agent_999")
    assert [r["id"] for r in agent.support_queue()["rows"]] == [filed["id"]]
    seen = agent.support_report(filed["id"])
    assert seen["handler"] and [a["action"] for a in seen["actions"]] == ["answer", "escalate", "close"]
    answered = agent.act_on_support_report(filed["id"], "answer", "Videz le cache de votre navigateur.")
    assert answered["status_label"] == "Répondu"
    [(kind, payload)] = emitted_events(agent)
    assert kind == events.SUPPORT_REPORT_UPDATED and payload["answered"] is True
    assert payload["recipients"][0]["email"] == "technicien@ccas-saint-exemple.test"
    mine = tech.support_report(filed["id"])
    assert [a["action"] for a in mine["actions"]] == ["message"] and not mine["handler"]
    tech.act_on_support_report(filed["id"], "message", "Toujours bloqué après avoir vidé le cache.")
    assert emitted_events(tech)[-1][0] == events.SUPPORT_REPORT_FILED      # only the filing: no self-email
    escalated = agent.act_on_support_report(filed["id"], "escalate", "Erreur reproduite, à corriger.")
    assert (escalated["level"], escalated["status_label"]) == ("national", "Transmis au support national")
    with pytest.raises(NotAuthorized):                       # escalated: national support's now
        agent.act_on_support_report(filed["id"], "answer", "Encore nous.")
    admin = as_("admin")
    assert filed["id"] in [r["id"] for r in admin.support_queue()["rows"]]
    closed = admin.act_on_support_report(filed["id"], "close", "")
    assert closed["status_label"] == "Clos"
    timeline = tech.support_report(filed["id"])["timeline"]
    assert [(line["action"], line["side"]) for line in timeline] == [
        ("filed", "reporter"), ("answer", "caisse"), ("message", "reporter"), ("escalate", "caisse"),
        ("close", "national")]
    with pytest.raises(RuleViolation):
        tech.act_on_support_report(filed["id"], "message", "Encore ?")


def test_the_reporters_preferences_apply(as_):
    tech = as_("tech_a")
    tech.set_my_notification_preferences(True, False)         # no emails for messages (answers)
    filed = tech.file_support_report(report())
    agent = as_("agent_999")
    agent.act_on_support_report(filed["id"], "answer", "Réponse.")
    assert emitted_events(agent) == []
    agent.act_on_support_report(filed["id"], "close", "")
    assert [kind for kind, _ in emitted_events(agent)] == [events.SUPPORT_REPORT_UPDATED]


def test_tenant_boundaries(as_):
    filed = as_("tech_a").file_support_report(report())
    for role in ("tech_b", "agent_998"):
        with pytest.raises(NotFound):
            as_(role).support_report(filed["id"])
        with pytest.raises(NotFound):
            as_(role).act_on_support_report(filed["id"], "answer", "Pas chez nous.")
        with pytest.raises(NotFound):
            as_(role).support_screenshot(filed["id"])
    assert as_("agent_998").support_queue()["rows"] == []
    assert as_("tech_b").my_support_reports() == []
    with pytest.raises(NotFound):                             # still at caisse level: not national's
        as_("admin").support_report(filed["id"])
    # The gestionnaire of the reporter's structure follows it; a technicien, only their own.
    assert [r["id"] for r in as_("gest_a").my_support_reports()] == [filed["id"]]
    assert as_("tech_a", id=77).my_support_reports() == []
    with pytest.raises(NotAuthorized):
        as_("tech_a").support_queue()
    with pytest.raises(NotAuthorized):                        # a reporter never handles their own report
        as_("gest_a").act_on_support_report(filed["id"], "answer", "Réglé.")


def test_a_person_files_a_few_reports_a_minute_and_an_hour_then_is_refused(as_, db):
    """Each report emails the caisse's referents: a loop of filings stops at the limits (settings), refused
    in French before any screenshot is scanned, with nothing written; another person still files."""
    from services.requests.models import SupportReport

    def earlier(**delta):                                # every report filed that much earlier
        for filed in db.query(SupportReport):
            filed.created_at -= timedelta(**delta)
        db.commit()

    tech = as_("tech_a")
    for _ in range(3):                                   # EP_SUPPORT_REPORTS_PER_MINUTE
        tech.file_support_report(report())
    with pytest.raises(RuleViolation) as refused:
        tech.file_support_report(report(), upload("capture.pdf", EICAR_PDF))
    assert refused.value.message.startswith("Vous venez d'envoyer 3 signalements en moins d'une minute")
    assert db.query(SupportReport).count() == 3 and len(emitted_events(tech)) == 3
    assert as_("tech_b").file_support_report(report(caisse_code="998"))["caisse_code"] == "998"

    earlier(minutes=2)
    for _ in range(3):
        tech.file_support_report(report())
    earlier(minutes=2)
    for _ in range(3):
        tech.file_support_report(report())
    earlier(minutes=2)
    tech.file_support_report(report())                  # the 10th within the hour (EP_SUPPORT_REPORTS_PER_HOUR)
    earlier(minutes=2)
    with pytest.raises(RuleViolation) as refused:
        tech.file_support_report(report())
    assert refused.value.message == ("Vous avez déjà envoyé 10 signalements dans l'heure : réessayez plus tard, "
                                     "ou complétez un signalement en cours depuis « Mes signalements ».")
    assert len(tech.my_support_reports()) == 10
    earlier(hours=1)                                     # an hour on: filing again
    assert tech.file_support_report(report())["status"] == "submitted"


def test_parallel_filings_by_one_person_never_pass_the_limit(as_, db):
    """Ten workers, each on its own connection, file at once (green threads, as in the service: on PostgreSQL
    each query lets the others run between the count and the insert; without the person's row locked first,
    all ten passed): exactly the minute's limit passes."""
    from services.requests.models import SupportReport

    outcomes = at_once(as_, db, "tech_a", lambda w: w.file_support_report(report()), RuleViolation, "limit")
    assert outcomes.count("ok") == 3 and outcomes.count("limit") == 7, outcomes
    assert db.query(SupportReport).count() == 3
