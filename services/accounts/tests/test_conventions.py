"""Rights through conventions in force only (issue 14): a SIRET already known becomes a proposal
the partner answers, per-convention suspension, tacit renewal and notice, the coming-end email,
conventions that start later, the partner's record and referent, and who lifts a fraud inactivation."""
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from contracts import events
from contracts.errors import (AccountInactive, CapReached, NotAuthorized, NotFound, RuleViolation,
                              ValidationFailed)
from services.accounts import conventions
from services.accounts.models import Account, AuditEntry, Convention, Partner
from services.accounts.tests.conftest import (ADMIN, AGENT, AGENT_B, DOUBLE, GEST, GEST_B, TECH, TECH_B, account,
                                               events_of, person)

pytestmark = pytest.mark.db

CCAS_SIRET = "26000000000000"           # the CCAS de Saint-Exemple: a convention with Valfleuri (999) only
KNOWN = {"name": "Nom tapé par l'agent", "kind": "CCAS", "siret": CCAS_SIRET, "address": "ailleurs",
         "member_count": 99, "start_date": "2026-01-01", "features": ["document"]}


def convention_of(session, email, code) -> Convention:
    return next(c for c in session.query(Convention).filter_by(partner_id=account(session, email).partner_id)
                if c.caisse.code == code)


def test_the_siret_attempt_of_the_issue_gets_a_proposal_and_no_right(session, worker):
    """The agent of CPAM des Hauts-Fictifs types the SIRET of the CCAS de Saint-Exemple."""
    agent_b = worker(AGENT_B)
    ccas = account(session, GEST).partner
    answer = agent_b.register_partner(KNOWN)
    assert answer == {"id": ccas.id, "name": "CCAS de Saint-Exemple", "limited": True, "convention_id":
                      answer["convention_id"], "state": "proposed", "start_date": "2026-01-01",
                      "state_label": "Proposition en attente de la réponse de la structure"}
    session.refresh(ccas)
    assert (ccas.name, ccas.member_count, ccas.address) == ("CCAS de Saint-Exemple", 8, "Adresse fictive")
    [proposed] = events_of(agent_b, events.CONVENTION_PROPOSED)
    assert [r["email"] for r in proposed["recipients"]] == [GEST]
    assert proposed["caisse_name"] == "CPAM des Hauts-Fictifs" and proposed["partner_name"] == "CCAS de Saint-Exemple"
    listed = {p["name"]: p for p in agent_b.list_partners()}
    assert listed["CCAS de Saint-Exemple"] == answer                     # name and status, nothing more
    assert not listed["Association Le Relais Fictif"]["limited"]
    gest_id = account(session, GEST).id
    for refused in (lambda: agent_b.get_partner(ccas.id), lambda: agent_b.habilitation_table(ccas.id),
                    lambda: agent_b.habilitation_csv(ccas.id), lambda: agent_b.audit_log(ccas.id),
                    lambda: agent_b.create_gestionnaire(ccas.id, person("x@ccas-saint-exemple.test")),
                    lambda: agent_b.edit_gestionnaire(gest_id, {"function": "Autre"}),
                    lambda: agent_b.suspend_partner(ccas.id, True),
                    lambda: agent_b.update_partner(ccas.id, {"name": "Pris"}),
                    lambda: agent_b.inactivate_account(gest_id, "fraude"),
                    lambda: agent_b.request_review(ccas.id)):
        with pytest.raises((NotFound, NotAuthorized)):
            refused()
    # Its caisse's journal holds its own proposal, nothing of the CCAS's accounts.
    assert {e["action"] for e in agent_b.audit_log() if e["partner_id"] == ccas.id} == {"convention_proposed"}
    assert all(r["partner_name"] != ccas.name for r in agent_b.pending_invitations())
    with pytest.raises(RuleViolation) as again:
        agent_b.register_partner(KNOWN)
    assert "attend déjà" in again.value.message
    with pytest.raises(NotAuthorized):
        worker(TECH).my_conventions()


def test_the_gestionnaire_accepts_and_the_caisse_gets_its_rights(session, worker):
    proposal = worker(AGENT_B).register_partner(KNOWN)["convention_id"]
    gest = worker(GEST)
    [mine] = [c for c in gest.my_conventions() if c["state"] == "proposed"]
    assert mine["caisse_name"] == "CPAM des Hauts-Fictifs" and mine["proposed_by"] == "Karim Delaunay"
    accepted = gest.answer_convention_proposal(proposal, True)
    assert accepted["state"] == "in_force" and accepted["answered_by"] == "Inès Berthier"
    [answered] = events_of(gest, events.CONVENTION_ANSWERED)
    assert answered["accepted"] is True and [r["email"] for r in answered["recipients"]] == [AGENT_B]
    entry = session.query(AuditEntry).filter_by(action="convention_accepted").one()
    assert entry.actor_name == "Inès Berthier" and entry.caisse_id == convention_of(session, GEST, "998").caisse_id
    ccas = account(session, GEST).partner_id
    assert [r["email"] for r in worker(AGENT_B).habilitation_table(ccas)["rows"]] == [GEST, TECH]
    assert [c["code"] for c in worker(TECH).me()["caisses"]] == ["999", "998"]
    with pytest.raises(RuleViolation):
        gest.answer_convention_proposal(proposal, False)               # answered already


def test_a_refused_proposal_leaves_the_caisse_outside(session, worker):
    proposal = worker(AGENT_B).register_partner(KNOWN)["convention_id"]
    with pytest.raises(NotFound):
        worker(GEST_B).answer_convention_proposal(proposal, True)      # not their structure's
    gest = worker(GEST)
    assert gest.answer_convention_proposal(proposal, False)["state"] == "refused"
    assert events_of(gest, events.CONVENTION_ANSWERED)[0]["accepted"] is False
    listed = {p["name"]: p for p in worker(AGENT_B).list_partners()}
    assert listed["CCAS de Saint-Exemple"]["state"] == "refused"
    with pytest.raises(NotFound):
        worker(AGENT_B).get_partner(account(session, GEST).partner_id)
    assert [c["code"] for c in worker(TECH).me()["caisses"]] == ["999"]
    worker(AGENT_B).register_partner(KNOWN)                            # the caisse may propose again


def test_two_answers_at_once_exactly_one_counts(session, worker):
    """Both gestionnaires of the Relais read the proposal, then answer in two transactions."""
    relais = account(session, GEST_B).partner
    convention_of(session, GEST_B, "998").status = "ended"
    session.commit()
    proposal = worker(AGENT_B).register_partner({**KNOWN, "siret": relais.siret})["convention_id"]
    other = Session(session.get_bind(), expire_on_commit=False)
    try:
        first_actor, second_actor = account(session, GEST_B), other.get(Account, account(session, DOUBLE,
                                                                                         "gestionnaire").id)
        assert other.get(Convention, proposal).status == "proposed"                # both see it open
        conventions.answer_proposal(session, first_actor, proposal, True, [])
        with pytest.raises(RuleViolation):
            conventions.answer_proposal(other, second_actor, proposal, False, [])
    finally:
        other.close()
    session.expire_all()
    assert session.get(Convention, proposal).status == "active"
    assert session.query(AuditEntry).filter(AuditEntry.action.in_(("convention_accepted", "convention_refused"))
                                            ).count() == 1


def test_an_ended_convention_gives_no_right_any_more(session, worker):
    relais = account(session, GEST_B).partner_id
    worker(AGENT_B).end_convention(convention_of(session, GEST_B, "998").id)
    agent_b = worker(AGENT_B)
    with pytest.raises(NotFound):
        agent_b.habilitation_table(relais)
    with pytest.raises(NotAuthorized):
        agent_b.inactivate_account(account(session, TECH_B).id, "fraude")
    assert {p["name"]: p["state"] for p in agent_b.list_partners()} == {"Association Le Relais Fictif": "ended"}


def test_a_convention_past_its_end_date_gives_no_right_even_before_the_sweep(session, worker):
    convention = convention_of(session, GEST_B, "998")
    convention.end_date, convention.tacit_renewal = date.today() - timedelta(days=1), False
    session.commit()
    with pytest.raises(NotFound):
        worker(AGENT_B).get_partner(account(session, GEST_B).partner_id)
    assert [c["code"] for c in worker(TECH_B).me()["caisses"]] == ["999"]


def test_a_convention_that_starts_later_gives_no_access_before_its_start(session, worker):
    convention = convention_of(session, GEST_B, "998")
    convention.start_date = date.today() + timedelta(days=10)
    session.commit()
    with pytest.raises(NotFound):
        worker(AGENT_B).get_partner(account(session, GEST_B).partner_id)
    assert [c["code"] for c in worker(TECH_B).me()["caisses"]] == ["999"]
    assert {p["name"]: p["state"] for p in worker(AGENT_B).list_partners()} == {
        "Association Le Relais Fictif": "upcoming"}


def test_suspension_is_per_convention(session, worker):
    relais = account(session, GEST_B).partner_id
    tech_b = worker(TECH_B)
    agent_b = worker(AGENT_B)
    row = agent_b.suspend_partner(relais, True)
    assert row["suspended"] and not row["cut_off"]
    [told] = events_of(agent_b, events.PARTNER_ACCESS_CHANGED)
    assert told["suspended"] and told["caisse_name"] == "CPAM des Hauts-Fictifs"
    assert sorted(r["email"] for r in told["recipients"]) == sorted([GEST_B, DOUBLE])
    assert [c["code"] for c in tech_b.me()["caisses"]] == ["999"]        # still in: Valfleuri is left
    assert not worker(AGENT).get_partner(relais)["suspended"]             # Valfleuri's own view
    assert agent_b.habilitation_table(relais)["rows"]                      # the caisse still manages the accounts
    with pytest.raises(RuleViolation):
        agent_b.suspend_partner(relais, True)
    worker(AGENT).suspend_partner(relais, True)                             # no caisse left: sessions end
    with pytest.raises(AccountInactive) as out:
        tech_b.me()
    assert "suspendu" in out.value.message
    agent_b.suspend_partner(relais, False)
    assert [c["code"] for c in worker(TECH_B).me()["caisses"]] == ["998"]


def test_only_the_national_admin_cuts_a_structure_off_every_caisse(session, worker):
    relais = account(session, GEST_B).partner_id
    admin = worker(ADMIN)
    row = admin.suspend_partner(relais, True)
    assert row["cut_off"] and row["suspended"]
    assert events_of(admin, events.PARTNER_ACCESS_CHANGED)[0]["caisse_name"] == ""
    with pytest.raises(AccountInactive):
        worker(TECH_B).me()
    worker(AGENT).suspend_partner(relais, True)                   # the agent's is its own convention only
    worker(AGENT).suspend_partner(relais, False)
    assert account(session, GEST_B).partner.suspended_at is not None
    admin.suspend_partner(relais, False)
    assert [c["code"] for c in worker(TECH_B).me()["caisses"]] == ["999", "998"]


def test_a_fraud_inactivation_is_lifted_by_its_caisse_or_the_national_admin(session, worker):
    tech_b = account(session, TECH_B).id
    worker(AGENT_B).inactivate_account(tech_b, "fraude")
    assert account(session, TECH_B).inactivated_by_caisse_id == account(session, AGENT_B).caisse_id
    for other in (GEST_B, AGENT):
        with pytest.raises(NotAuthorized) as refused:
            worker(other).reactivate_account(tech_b)
        assert "seule la caisse qui l'a inactivé" in refused.value.message
    assert worker(AGENT_B).reactivate_account(tech_b)["status"] == "active"
    worker(AGENT).inactivate_account(tech_b, "perte_vol")
    assert worker(ADMIN).reactivate_account(tech_b)["status"] == "active"
    worker(ADMIN).inactivate_account(tech_b, "fraude")
    with pytest.raises(NotAuthorized):
        worker(AGENT).reactivate_account(tech_b)                   # the national admin's: its own to lift


def test_fraud_of_the_only_gestionnaire_tells_the_referents(session, worker):
    agent = worker(AGENT)
    agent.inactivate_account(account(session, GEST).id, "fraude")
    [told] = events_of(agent, events.FRAUD_INACTIVATION)
    assert told["to_referents"] is True
    assert [r["email"] for r in told["recipients"]] == ["direction@ccas-saint-exemple.test",     # the partner's,
                                                        "n.roussel@cpam-valfleuri.test",         # then the caisse's
                                                        "partenaires@cpam-valfleuri.test"]
    assert told["recipients"][0]["first_name"] == "Nadia" and told["recipients"][0]["last_name"] == "Fontanel"


def test_the_partner_record_is_edited_and_audited(session, worker):
    agent = worker(AGENT)
    relais = account(session, GEST_B).partner_id                       # 30 members, 2 gestionnaires active
    row = agent.update_partner(relais, {"name": "Le Relais Fictif", "address": "9 rue Neuve", "member_count": 5,
                                        "habilitated_body": False, "email_domains": "relais-fictif.test",
                                        "siret": "12345678901234"})
    assert (row["name"], row["member_count"], row["habilitated_body"], row["siret"]) == (
        "Le Relais Fictif", 5, False, "77500000000007")                # the SIRET is its identity: it stays
    assert agent.habilitation_table(relais)["caps"]["gestionnaire"] == {"active": 2, "max": 2, "over": False}
    with pytest.raises(CapReached):
        agent.create_gestionnaire(relais, person("g3@relais-fictif.test"))
    entry = session.query(AuditEntry).filter_by(action="partner_updated").one()
    assert "nombre de membres : 5" in entry.details and "organisme habilité : non" in entry.details
    assert entry.actor_name == "Claire Dumoulin"
    with pytest.raises(ValidationFailed) as bad:
        agent.update_partner(relais, {"name": "", "member_count": "beaucoup", "email_domains": "pas un domaine!"})
    assert set(bad.value.fields) == {"name", "member_count", "email_domains"}
    session.expire_all()
    assert session.get(Partner, relais).name == "Le Relais Fictif"    # no half-written row
    assert worker(AGENT_B).update_partner(relais, {"address": "10 rue Neuve"})["address"] == "10 rue Neuve"


def test_a_partner_name_keeps_to_one_line_whatever_is_typed(session, worker):
    """A name reaches emails' subjects and CSV cells: a line break (or another control character) typed or
    pasted into it would start a new header line or a new row there."""
    relais = account(session, GEST_B).partner_id
    row = worker(AGENT).update_partner(relais, {"name": "Le Relais\r\nBcc: x@exemple.test\x00\x1b\tFictif",
                                                "address": "9 rue\nNeuve\u2028"})
    assert (row["name"], row["address"]) == ("Le Relais Bcc: x@exemple.test Fictif", "9 rue Neuve")


def test_a_member_count_lowered_below_todays_accounts_inactivates_nobody(session, worker):
    agent, gest = worker(AGENT), worker(GEST)
    ccas = account(session, GEST).partner_id                           # 8 members: 5 techniciens
    agent.update_partner(ccas, {"member_count": 12})                   # 15 techniciens
    made = [gest.create_technicien(person(f"t{n}@ccas-saint-exemple.test"))["id"] for n in range(5)]
    agent.update_partner(ccas, {"member_count": 8})                    # back to 5, with 6 active
    assert agent.habilitation_table(ccas)["caps"]["technicien"] == {"active": 6, "max": 5, "over": True}
    assert session.query(Account).filter_by(partner_id=ccas, status="active").count() == 7
    with pytest.raises(CapReached) as cap:
        gest.create_technicien(person("t9@ccas-saint-exemple.test"))
    assert "6 sont actifs, au-delà du plafond" in cap.value.message
    gest.inactivate_account(made[0], "gestionnaire")
    with pytest.raises(CapReached):
        gest.reactivate_account(made[0])                               # 5 of 5: not under the cap yet
    gest.inactivate_account(made[1], "gestionnaire")
    assert gest.reactivate_account(made[0])["status"] == "active"


def test_convention_end_date_notice_and_referent(session, worker):
    agent = worker(AGENT)
    convention = convention_of(session, GEST, "999").id
    end = (date.today() + timedelta(days=200)).isoformat()
    with pytest.raises(ValidationFailed) as bad:
        agent.update_convention(convention, {"notice": "caisse", "end_date": "",
                                             "partner_referent": {"name": "", "email": "pas-une-adresse"}})
    assert set(bad.value.fields) == {"notice", "referent_name", "referent_email"}
    with pytest.raises(ValidationFailed) as past:
        agent.update_convention(convention, {"end_date": (date.today() - timedelta(days=1)).isoformat()})
    assert "passée" in past.value.fields["end_date"]
    row = agent.update_convention(convention, {"end_date": end, "notice": "partner", "partner_referent": {
        "name": "Nadia Fontanel", "function": "Directrice", "phone": "01 99 00 00 10", "email": "N@ccas.test"}})
    assert (row["end_date"], row["notice_given"], row["notice_by"]) == (end, True, "partner")
    assert row["partner_referent"]["email"] == "n@ccas.test"
    entry = session.query(AuditEntry).filter_by(action="convention_updated").one()
    assert "préavis par la structure" in entry.details and "Nadia Fontanel" in entry.details
    with pytest.raises(NotFound):
        worker(AGENT_B).update_convention(convention, {"end_date": end})
    with pytest.raises(NotAuthorized):
        worker(GEST).update_convention(convention, {"end_date": end})


def run_twice(step, session, **kw):
    first, second = [], []
    step(session, first, **kw)
    step(session, second, **kw)
    return first + second


def test_tacit_renewal_renews_for_a_year_unless_notice_was_given(session):
    ccas, relais = convention_of(session, GEST, "999"), convention_of(session, GEST_B, "998")
    ccas.end_date = relais.end_date = date.today() - timedelta(days=1)
    relais.notice_given_at, relais.notice_by = relais.start_date, "caisse"
    session.commit()
    sent = run_twice(conventions.renew_or_end, session)
    session.refresh(ccas)
    session.refresh(relais)
    assert (ccas.status, ccas.end_date) == ("active", date.today() - timedelta(days=1) + timedelta(days=365))
    assert relais.status == "ended"
    assert sent == []                          # the Relais keeps Valfleuri: nobody inactivated
    assert session.query(AuditEntry).filter_by(action="convention_renewed").count() == 1


def test_the_coming_end_is_emailed_once_n_days_before(session, monkeypatch):
    monkeypatch.setenv("EP_CONVENTION_END_NOTICE_DAYS", "30")
    relais = convention_of(session, GEST_B, "998")
    relais.end_date, relais.tacit_renewal = date.today() + timedelta(days=31), False
    session.commit()
    assert run_twice(conventions.warn_coming_ends, session) == []
    sent = run_twice(conventions.warn_coming_ends, session, today=date.today() + timedelta(days=1))
    [(kind, payload)] = sent
    assert kind == events.CONVENTION_ENDING and payload["end_date"] == relais.end_date.isoformat()
    assert sorted(r["email"] for r in payload["recipients"]) == sorted([AGENT_B, GEST_B, DOUBLE])
    relais.end_date = relais.end_date + timedelta(days=5)              # a new end date: a new email
    session.commit()
    assert len(run_twice(conventions.warn_coming_ends, session, today=date.today() + timedelta(days=10))) == 1
    ccas = convention_of(session, GEST, "999")                         # tacit renewal, no notice: no end
    ccas.end_date = date.today() + timedelta(days=3)
    session.commit()
    assert run_twice(conventions.warn_coming_ends, session, today=date.today() + timedelta(days=10)) == []
