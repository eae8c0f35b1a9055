"""« Demandes à la caisse » (issue 15, points 1 and 2): habilitation, departure, correction and report of
fraud, loss or theft, filed by the partner, decided by the caisse, on the real migrated database."""
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts import events
from contracts.errors import (AccountInactive, CapReached, InvalidCredentials, NotAuthorized, NotFound,
                              ReauthenticationRequired, RuleViolation, ValidationFailed)
from services.accounts import account_requests, sweeps
from services.accounts.models import Account, AuditEntry, UserSession, utcnow
from services.accounts.tests.conftest import (AGENT, AGENT_B, DOUBLE, GEST, GEST_B, TECH, TECH_B, account, events_of,
                                              person)
from services.accounts.working_days import add_working_days

pytestmark = pytest.mark.db


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def habilitation(worker, email="nouvelle@ccas-saint-exemple.test", who=GEST, **extra):
    """``worker``: the fixture, or a worker already made (to read its events)."""
    caller = worker(who) if callable(worker) and not hasattr(worker, "file_account_request") else worker
    return caller.file_account_request("habilitation", {**person(email), "wanted_date": in_days(7), **extra})


def test_habilitation_is_checked_as_a_creation_then_approved_into_an_invited_account(session, worker):
    with pytest.raises(ValidationFailed) as refused:
        habilitation(worker, "alice@gmail.com", last_name="")
    assert set(refused.value.fields) == {"email", "last_name"}
    with pytest.raises(ValidationFailed) as late:
        habilitation(worker, wanted_date="2020-01-01")
    assert "passée" in late.value.fields["wanted_date"]
    gest = worker(GEST)
    filed = habilitation(gest)
    assert filed["status"] == "pending" and filed["caisse_code"] == "999"
    assert filed["due_date"] == add_working_days(utcnow().date(), 5).isoformat() and not filed["overdue"]
    assert [e["audience"] for e in events_of(gest, events.ACCOUNT_REQUEST_STEP)] == ["partner", "caisse"]
    with pytest.raises(ValidationFailed):          # the same person twice
        habilitation(worker)
    # Tenants: another partner's gestionnaire, another caisse's agent see nothing of it.
    for outsider in (GEST_B, AGENT_B):
        with pytest.raises(NotFound):
            worker(outsider).account_request(filed["id"])
        with pytest.raises((NotFound, NotAuthorized)):
            worker(outsider).decide_account_request(filed["id"], "approve")
    assert filed["id"] not in [r["id"] for r in worker(AGENT_B).account_request_queue()]
    assert filed["id"] not in [r["id"] for r in worker(GEST_B).my_account_requests()]
    with pytest.raises(NotAuthorized):
        worker(TECH).file_account_request("habilitation", person("x@ccas-saint-exemple.test"))
    agent = worker(AGENT)
    assert agent.account_request_counts() == {"pending": 1, "overdue": 0, "reports": 0}
    decided = agent.decide_account_request(filed["id"], "approve")
    assert decided["status"] == "approved" and [s["side"] for s in decided["timeline"]] == ["partner", "caisse"]
    created = account(session, "nouvelle@ccas-saint-exemple.test", "gestionnaire")
    assert created.status == "active" and decided["account_id"] == created.id
    assert [p["recipients"][0]["email"] for p in events_of(agent, events.ACCOUNT_INVITED)] == [created.email]
    told = [r["email"] for p in events_of(agent, events.ACCOUNT_REQUEST_STEP) for r in p["recipients"]]
    assert GEST in told and created.email not in told          # the new person has its invitation
    with pytest.raises(RuleViolation):
        agent.decide_account_request(filed["id"], "approve")
    # CCAS: 8 members, 2 gestionnaires at most: a third one is refused when asked, as a creation would be.
    with pytest.raises(CapReached):
        habilitation(worker, "troisieme@ccas-saint-exemple.test")
    actions = set(session.scalars(sa.select(AuditEntry.action)))
    assert {"account_request_filed", "account_request_decided", "account_created"} <= actions


def test_no_more_habilitations_wait_than_the_cap_leaves_places_for(session, worker):
    """Each request emails every agent of the caisse: a gestionnaire asking again and again for other people
    floods them (the probe: 17 waiting for 1 place). CCAS: 2 gestionnaires at most, 1 active."""
    gest = worker(GEST)
    habilitation(gest, "premiere-place@ccas-saint-exemple.test")
    with pytest.raises(CapReached) as full:
        habilitation(gest, "deuxieme-place@ccas-saint-exemple.test")
    assert "(1)" in full.value.message and "1 demande en attente" in full.value.message
    assert len(events_of(gest, events.ACCOUNT_REQUEST_STEP)) == 2       # the first one's, to each side: no more
    assert session.scalar(sa.select(sa.func.count()).select_from(account_requests.AccountRequest)) == 1


def test_parallel_habilitation_requests_never_wait_beyond_the_places(session):
    from services.accounts.tests.conftest import at_once

    emails = iter(f"course-{n}@ccas-saint-exemple.test" for n in range(20))
    outcomes = at_once(session, lambda w: w.file_account_request(
        "habilitation", {**person(next(emails)), "wanted_date": in_days(7)}), [GEST] * 20)
    assert sorted(type(o).__name__ for o in outcomes) == ["CapReached"] * 19 + ["dict"], outcomes
    assert session.scalar(sa.select(sa.func.count()).select_from(account_requests.AccountRequest)) == 1


def test_a_refusal_says_why_and_overdue_is_flagged(session, worker):
    filed = habilitation(worker)
    agent = worker(AGENT)
    with pytest.raises(ValidationFailed) as no_reason:
        agent.decide_account_request(filed["id"], "refuse", "  ")
    assert "motif" in no_reason.value.fields["reason"]
    row = session.get(account_requests.AccountRequest, filed["id"])
    row.due_date = date.today() - timedelta(days=1)
    session.commit()
    assert agent.account_request_counts()["overdue"] == 1
    refused = agent.decide_account_request(filed["id"], "refuse", "Personne inconnue de nos services")
    assert refused["status"] == "refused" and refused["reason"] == "Personne inconnue de nos services"
    assert not refused["overdue"]
    assert session.scalars(sa.select(Account).where(Account.email == "nouvelle@ccas-saint-exemple.test")).first() is None


def test_departure_notice_15_days_ahead_and_the_last_gestionnaire(session, worker):
    gest_b = worker(GEST_B)
    double = account(session, DOUBLE, "gestionnaire")
    with pytest.raises(ValidationFailed) as early:
        gest_b.file_account_request("departure", {"account_id": double.id, "date": in_days(14)})
    assert "15 jours" in early.value.fields["date"]
    with pytest.raises(ValidationFailed) as bad:
        gest_b.file_account_request("departure", {"account_id": double.id, "date": "31/02/2027"})
    assert "JJ/MM/AAAA" in bad.value.fields["date"]
    with pytest.raises(ValidationFailed):           # CCAS's gestionnaire: not of that structure
        worker(GEST).file_account_request("departure", {"account_id": double.id, "date": in_days(20)})
    with pytest.raises(RuleViolation) as last:      # CCAS has one gestionnaire
        worker(GEST).file_account_request("departure", {"account_id": account(session, GEST, "gestionnaire").id,
                                                        "date": in_days(20)})
    assert "dernier gestionnaire" in last.value.message


def test_departure_on_its_date_inactivates_once_and_reattaches_to_the_named_successor(session, worker):
    double, bruno = account(session, DOUBLE, "gestionnaire"), account(session, GEST_B, "gestionnaire")
    tech = account(session, TECH_B)
    tech.gestionnaire_id = double.id
    session.commit()
    filed = worker(GEST_B).file_account_request("departure", {"account_id": double.id, "date": in_days(16),
                                                              "successor_id": bruno.id, "caisse": "998"})
    assert filed["caisse_code"] == "998" and filed["data"]["successor_name"] == "Bruno Castagnet"
    with pytest.raises(NotFound):                   # sent to 998: Valfleuri's agents do not see it
        worker(AGENT).account_request(filed["id"])
    agent_b = worker(AGENT_B)
    assert agent_b.decide_account_request(filed["id"], "approve")["status"] == "scheduled"
    assert account_requests.departures_due(session, [], now=utcnow()) == 0
    on = utcnow() + timedelta(days=16)
    # Two instances of the service at once (two connections): the departure happens once.
    sent, done, errors = [], [], []

    def instance():
        with Session(session.get_bind(), expire_on_commit=False) as own:
            try:
                mine = []
                done.append(account_requests.departures_due(own, mine, now=on))
                sent.extend(mine)
            except Exception as exc:   # noqa: BLE001 (reported below)
                errors.append(exc)
    threads = [threading.Thread(target=instance) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(done) == [0, 1]
    session.expire_all()
    assert (double.status, double.inactivation_reason) == ("inactive", "demande_partenaire")
    assert session.get(Account, tech.id).gestionnaire_id == bruno.id
    assert [e for e, _ in sent].count(events.ACCOUNT_INACTIVATED) == 1
    assert session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "account_inactivated",
                                                           AuditEntry.target_id == double.id)) == 1
    detail = worker(GEST_B).account_request(filed["id"])
    assert detail["status"] == "done" and detail["timeline"][-1]["side"] == "system"


def test_departure_of_what_became_the_last_gestionnaire_is_not_made(session, worker):
    double, bruno = account(session, DOUBLE, "gestionnaire"), account(session, GEST_B, "gestionnaire")
    filed = worker(GEST_B).file_account_request("departure", {"account_id": double.id, "date": in_days(20),
                                                              "caisse": "999"})
    worker(AGENT).decide_account_request(filed["id"], "approve")
    worker(AGENT).inactivate_account(bruno.id, "fraude")          # meanwhile, the other one is gone
    emitted = []
    assert account_requests.departures_due(session, emitted, now=utcnow() + timedelta(days=20)) == 0
    session.expire_all()
    assert double.status == "active"
    row = worker(AGENT).account_request(filed["id"])
    assert row["status"] == "blocked" and "dernier gestionnaire" in row["reason"]
    assert sorted(p["audience"] for e, p in emitted if e == events.ACCOUNT_REQUEST_STEP) == ["caisse", "partner"]


def test_correction_is_applied_through_the_gestionnaire_edit_and_an_email_wants_a_fresh_proof(session, worker):
    gest = account(session, GEST, "gestionnaire")
    with pytest.raises(ValidationFailed) as bad:
        worker(GEST).file_account_request("correction", {"account_id": gest.id, "phone": "12"})
    assert "phone" in bad.value.fields
    filed = worker(GEST).file_account_request("correction", {"account_id": gest.id, "function": "Directrice",
                                                             "email": "ines.berthier@ccas-saint-exemple.test"})
    assert filed["data"] == {"function": "Directrice", "email": "ines.berthier@ccas-saint-exemple.test"}
    agent = worker(AGENT)
    proof = session.scalars(sa.select(UserSession).order_by(UserSession.id.desc())).first()
    proof.reauthenticated_at = utcnow() - timedelta(minutes=30)
    session.commit()
    with pytest.raises(ReauthenticationRequired):
        agent.decide_account_request(filed["id"], "approve")
    assert worker(AGENT).decide_account_request(filed["id"], "approve")["status"] == "approved"
    session.refresh(gest)
    assert (gest.function, gest.email) == ("Directrice", "ines.berthier@ccas-saint-exemple.test")
    assert session.scalar(sa.select(AuditEntry.details).where(AuditEntry.action == "account_edited")) == "function, email"


def test_a_report_cuts_the_account_off_at_once_and_comes_first_in_the_queue(session, worker):
    habilitation(worker)
    tech = account(session, TECH)
    tech_worker = worker(TECH)        # an open session of the technicien
    filed = worker(GEST).file_account_request("report", {"account_id": tech.id, "cause": "perte_vol",
                                                         "description": "Ordinateur volé dans la voiture"})
    session.expire_all()
    assert (tech.status, tech.inactivation_reason) == ("inactive", "signalement")
    assert session.scalar(sa.select(sa.func.count()).where(UserSession.account_id == tech.id,
                                                           UserSession.ended_at.is_(None))) == 0
    with pytest.raises((AccountInactive, InvalidCredentials)):
        worker().authenticate(TECH, "Techni-Demo-2026!")
    with pytest.raises(Exception):       # noqa: B017 (its session is over, whatever the exact refusal)
        tech_worker.me()
    agent = worker(AGENT)
    queue = agent.account_request_queue()
    assert queue[0]["id"] == filed["id"] and queue[0]["kind"] == "report"
    assert agent.account_request_counts() == {"pending": 2, "overdue": 0, "reports": 1}
    with pytest.raises(RuleViolation):    # the gestionnaire cannot undo it from the habilitation table
        worker(GEST).reactivate_account(tech.id)
    with pytest.raises(ValidationFailed):
        agent.decide_account_request(filed["id"], "refuse", "non")
    decided = agent.decide_account_request(filed["id"], "reactivate")
    session.expire_all()
    assert decided["status"] == "reactivated" and tech.status == "active" and tech.password_hash is None
    assert [p["recipients"][0]["email"] for p in events_of(agent, events.ACCOUNT_INVITED)] == [TECH]


def test_report_emails_reach_the_caisse_referents_and_a_technicien_reports_only_itself(session, worker):
    tech_b, gest_b = account(session, TECH_B), account(session, GEST_B, "gestionnaire")
    reporter = worker(TECH_B)
    filed = reporter.file_account_request("report", {"account_id": gest_b.id, "cause": "fraude"})
    assert filed["account_id"] == tech_b.id           # its own account, whatever it names
    session.expire_all()
    assert gest_b.status == "active" and tech_b.status == "inactive"
    to_caisse = [p for p in events_of(reporter, events.ACCOUNT_REQUEST_STEP) if p["audience"] == "caisse"][0]
    emails = {r["email"] for r in to_caisse["recipients"]}
    # Relais has two caisses: an urgent report goes to the first one, Hauts-Fictifs (998), its agents and referents
    assert emails == {AGENT_B, "partenaires@cpam-hauts-fictifs.test"}
    agent = worker(AGENT_B)
    decided = agent.decide_account_request(filed["id"], "inactivate")
    session.expire_all()
    assert decided["status"] == "inactivated" and tech_b.inactivation_reason == "fraude"
    assert events_of(agent, events.FRAUD_INACTIVATION)
    with pytest.raises(ValidationFailed):
        worker(GEST_B).file_account_request("report", {"account_id": account(session, TECH).id, "cause": "fraude"})


@pytest.mark.parametrize("kind", ["nothing", ""])
def test_unknown_kinds_are_refused(worker, kind):
    with pytest.raises(ValidationFailed):
        worker(GEST).file_account_request(kind, {})


def test_the_report_outlives_the_account_as_proof(session, worker):
    tech = account(session, TECH)
    filed = worker(GEST).file_account_request("report", {"account_id": tech.id, "cause": "fraude",
                                                         "description": "Connexions inconnues"})
    worker(AGENT).decide_account_request(filed["id"], "inactivate")
    sweeps.purge_inactivated(session, [], now=utcnow() + timedelta(days=200))      # 6 months on: the account goes
    assert session.get(Account, tech.id) is None
    kept = worker(AGENT).account_request(filed["id"])
    assert (kept["account_id"], kept["account_name"], kept["status"]) == (None, "Hugo Lambertin", "inactivated")
    assert kept["data"]["description"] == "Connexions inconnues" and kept["created_by"] == "Inès Berthier"
    assert [s["side"] for s in kept["timeline"]] == ["partner", "caisse"]


def test_without_a_named_successor_the_techniciens_go_to_the_newest_gestionnaire(session, worker):
    double, tech = account(session, DOUBLE, "gestionnaire"), account(session, TECH_B)
    tech.gestionnaire_id = double.id
    session.commit()
    relais = account(session, GEST_B, "gestionnaire").partner_id
    newest = worker(AGENT).create_gestionnaire(relais, person("benjamine@relais-fictif.test"))
    filed = worker(GEST_B).file_account_request("departure", {"account_id": double.id, "date": in_days(15),
                                                              "caisse": "999"})
    worker(AGENT).decide_account_request(filed["id"], "approve")
    assert account_requests.departures_due(session, [], now=utcnow() + timedelta(days=15)) == 1
    session.expire_all()
    assert double.status == "inactive" and session.get(Account, tech.id).gestionnaire_id == newest["id"]


def test_no_nir_in_a_report_nor_in_a_refusal_reason(session, worker):
    """The accounts service reads its free text with the one NIR detector (contracts.nir): nothing written."""
    from contracts.nir import nir_key
    number = "1840675123456"
    nir = f"{number[0]} {number[1:3]} {number[3:5]} {number[5:7]} {number[7:10]} {number[10:]} {nir_key(number):02d}"
    tech = account(session, TECH)
    with pytest.raises(ValidationFailed) as refused:
        worker(GEST).file_account_request("report", {"account_id": tech.id, "cause": "fraude",
                                                     "description": f"Le NIR de l'assuré {nir} a été vu"})
    assert "NIR" in refused.value.fields["description"]
    session.expire_all()
    assert tech.status == "active"
    filed = habilitation(worker)
    with pytest.raises(ValidationFailed) as refused:
        worker(AGENT).decide_account_request(filed["id"], "refuse", f"Voir {nir}")
    assert "NIR" in refused.value.fields["reason"]
    assert worker(AGENT).account_request(filed["id"])["status"] == "pending"
