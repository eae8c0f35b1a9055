"""Conventions across the real stack (issue 14): the SIRET attempt of the issue ends in a proposal
emailed to the partner's gestionnaire, and two gestionnaires answering the same proposal at once
get exactly one outcome."""
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from contracts.errors import RuleViolation
from services.web.users import identity_of
from tests.helpers import authenticated, link_in, post_form, rpc_as
from tests.test_web_partners import fictitious_siret

pytestmark = [pytest.mark.integration, pytest.mark.db]

PASSWORD = "Convention-Solide-2026!"


def call(app, method, *args, who):
    with app.app_context():
        return app.extensions["services"].call("accounts", method, *args, who=who, timeout=10)


def activated_gestionnaire(app, mailbox, client, agent, partner_id) -> dict:
    """A gestionnaire habilitated by the agent, activated through its link, CGU accepted: its identity."""
    email = f"g-{uuid.uuid4().hex[:8]}@structure-essai.test"
    agent("create_gestionnaire", partner_id, {"civility": "Mme", "last_name": "Course", "first_name": "Lou",
                                              "function": "Directrice", "phone": "0123456789", "email": email})
    response = post_form(client, link_in(mailbox.wait_for(email), "/activation/"),
                         {"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    first = identity_of(authenticated(app, email, PASSWORD))
    call(app, "accept_cgu", call(app, "current_cgu_version", who={}), who=first)
    return {"email": email, "who": identity_of(authenticated(app, email, PASSWORD))}


def test_two_gestionnaires_answer_the_same_proposal_at_once(app, mailbox, client):
    agent_x, agent_y = rpc_as(app, "agent_caisse"), rpc_as(app, "agent_autre_caisse")
    siret = fictitious_siret()
    partner = agent_x("register_partner", {
        "name": f"Structure en course {uuid.uuid4().hex[:6]}", "kind": "Association", "siret": siret,
        "address": "1 rue de la Course", "member_count": 5, "start_date": "2026-01-01", "features": ["document"]})
    first, second = (activated_gestionnaire(app, mailbox, client, agent_x, partner["id"]) for _ in range(2))
    known = {**partner, "siret": siret, "start_date": "2026-01-01", "features": ["document"]}

    def race(first_accepts: bool, second_accepts: bool) -> list:
        proposal = agent_y("register_partner", known)
        assert proposal["limited"] and proposal["state"] == "proposed"
        mailbox.wait_for(first["email"], containing="propose une convention")

        def answer(person, accept):
            try:
                return call(app, "answer_convention_proposal", proposal["convention_id"], accept, who=person["who"])
            except RuleViolation as exc:
                return exc
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(answer, (first, second), (first_accepts, second_accepts)))
        won = [o for o in outcomes if isinstance(o, dict)]
        assert len(won) == 1, outcomes
        assert [o.message for o in outcomes if isinstance(o, RuleViolation)] == [
            "Cette proposition de convention a déjà reçu une réponse."]
        return won

    for _ in range(3):
        [won] = race(False, False)
        assert won["state"] == "refused"
    [won] = race(True, False)
    listed = {p["name"]: p for p in agent_y("list_partners")}[partner["name"]]
    assert listed["limited"] is (won["state"] == "refused")
    journal = agent_x("audit_log", partner["id"], 50)
    answers = [e for e in journal if e["action"] in ("convention_accepted", "convention_refused")]
    assert len(answers) == 4
