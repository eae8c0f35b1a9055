"""Two agents of the caisse approve the same habilitation request at the same moment, through the real
stack (PostgreSQL in the PostgreSQL pass): one decision, one account, one invitation; the other agent is
told the request was already decided (issue 15)."""
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from contracts.errors import RuleViolation
from tests.helpers import rpc_as
from tests.test_conventions import activated_gestionnaire, call
from tests.test_web_partners import fictitious_siret

pytestmark = [pytest.mark.integration, pytest.mark.db]


def test_two_agents_approve_the_same_habilitation_at_once(app, mailbox, client):
    agent, other_agent = rpc_as(app, "agent_caisse"), rpc_as(app, "agent_simple")
    partner = agent("register_partner", {
        "name": f"Structure en course {uuid.uuid4().hex[:6]}", "kind": "Association", "siret": fictitious_siret(),
        "address": "1 rue de la Course", "member_count": 30, "start_date": "2026-01-01", "features": ["document"]})
    gestionnaire = activated_gestionnaire(app, mailbox, client, agent, partner["id"])
    for _ in range(3):
        email = f"h-{uuid.uuid4().hex[:8]}@structure-essai.test"
        filed = call(app, "file_account_request", "habilitation", {
            "civility": "M.", "last_name": "Double", "first_name": "Paul", "function": "Adjoint", "phone": "0123456789",
            "email": email, "wanted_date": (date.today() + timedelta(days=5)).isoformat()}, who=gestionnaire["who"])

        def approve(decide):
            try:
                return decide("decide_account_request", filed["id"], "approve")
            except RuleViolation as exc:
                return exc
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(approve, (agent, other_agent)))
        won = [o for o in outcomes if isinstance(o, dict)]
        assert len(won) == 1 and won[0]["status"] == "approved", outcomes
        assert [o.message for o in outcomes if isinstance(o, RuleViolation)] == ["Cette demande a déjà été traitée."]
        engine = sa.create_engine(app.config["TEST_ACCOUNTS_DATABASE_URL"])
        with engine.connect() as db:
            accounts = db.execute(sa.text("SELECT count(*) FROM account WHERE email = :e"), {"e": email}).scalar()
            steps = db.execute(sa.text("SELECT count(*) FROM account_request_step WHERE request_id = :r"),
                               {"r": filed["id"]}).scalar()
        engine.dispose()
        assert (accounts, steps) == (1, 2)
        mailbox.wait_for(email, containing="votre habilitation")
