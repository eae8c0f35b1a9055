"""Fault 8: two instances of each service on one broker (the faults stack runs two
processes of accounts, requests and notifier).

Proves: calls are shared (health answers name their process: both answer); the
timers that every instance runs each second act once — the accounts sweep warns an
inactive technicien once (one audit entry, one email), the notifier's renewal
reminder goes once per account and the outbox sender delivers it once, the
requests' late summary goes once a day per caisse — because each is claimed in the
database (conditional UPDATE, unique key, lease), not because the timers happen not
to meet."""
import sqlite3
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest

from devtools.stack import SERVICES
from tests.faults.conftest import INSTANCES, instances_answering

pytestmark = [pytest.mark.faults, pytest.mark.integration]

TECHNICIENS = ("technicien@relais-fictif.test", "double@relais-fictif.test")
GESTIONNAIRES = ("gestionnaire@relais-fictif.test", "double@relais-fictif.test")
AGENT = "agent@cpam-valfleuri.test"
AGENT_998 = "agent@cpam-hauts-fictifs.test"
ROUNDS = 4          # seconds the timers keep running after the work appeared (1 s interval, 2 instances)


def test_calls_are_shared_between_the_instances(fault_stack):
    for service in SERVICES:
        assert len(instances_answering(fault_stack.env["AMQP_URI"], service)) == INSTANCES, service


def _db(stack, service):
    return sqlite3.connect(stack.env[f"{service.upper()}_DATABASE_URL"].removeprefix("sqlite:///"), timeout=30)


def _ago(days: int) -> str:
    return (datetime.utcnow() - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S.%f")


def test_sweeps_reminders_and_summaries_act_once(fault_stack, fault_mailbox):
    with _db(fault_stack, "accounts") as db:
        # Inactive for 80 days: the 90-day inactivation is 10 days away, inside the 15-day warning.
        db.executemany("UPDATE account SET activity_at = ?, inactivity_warned_at = NULL "
                       "WHERE profile = 'technicien' AND email = ?", [(_ago(80), e) for e in TECHNICIENS])
        # Password set 360 days ago, renewed every 365: the 7-day reminder is due.
        db.executemany("UPDATE account SET password_changed_at = ? WHERE profile = 'gestionnaire' AND email = ?",
                       [(_ago(360), e) for e in GESTIONNAIRES])
    with _db(fault_stack, "requests") as db:
        # Taken in charge 20 days ago and still open: late (10 days by default), today's summary is due.
        db.execute("UPDATE partner_request SET created_at = ? WHERE reference = 'DEMO-000002'", (_ago(20),))
    for email in TECHNICIENS:
        fault_mailbox.wait_for(email, containing="sera inactivé le")
    fault_mailbox.wait_for(AGENT, containing="en retard")
    for email in GESTIONNAIRES:
        fault_mailbox.wait_for(email, containing="mot de passe expire")
    time.sleep(ROUNDS)

    sent = Counter((to, m["subject"]) for m in fault_mailbox.messages() for to in m["to"])
    for email in TECHNICIENS:
        assert [n for (to, s), n in sent.items() if to == email and "sera inactivé le" in s] == [1], email
    for email in GESTIONNAIRES:
        assert [n for (to, s), n in sent.items() if to == email and "mot de passe expire" in s] == [1], email
    with _db(fault_stack, "accounts") as db:
        warned = db.execute("SELECT target_name, count(*) FROM audit_entry WHERE action = 'inactivity_warning' "
                            "GROUP BY target_id").fetchall()
    assert len(warned) == len(TECHNICIENS) and all(count == 1 for _name, count in warned), warned
    assert [n for (to, s), n in sent.items() if to == AGENT and "en retard" in s] == [1]


def test_a_confirmed_departure_is_made_once_on_its_date(fault_stack, fault_mailbox):
    """The demo's confirmed departure of a Relais gestionnaire (« Demandes à la caisse », issue 15) brought to
    yesterday: both instances' sweeps see it due; it is inactivated once, its request closed once."""
    departing = "double@relais-fictif.test"
    with _db(fault_stack, "accounts") as db:
        request_id, = db.execute("SELECT id FROM account_request WHERE kind = 'departure' AND status = 'scheduled'"
                                 ).fetchone()
        db.execute("UPDATE account_request SET wanted_date = ? WHERE id = ?",
                   ((datetime.utcnow() - timedelta(days=1)).strftime("%Y-%m-%d"), request_id))
    fault_mailbox.wait_for(departing, containing="votre compte a été inactivé")
    time.sleep(ROUNDS)
    sent = Counter((to, m["subject"]) for m in fault_mailbox.messages() for to in m["to"])
    assert [n for (to, s), n in sent.items() if to == departing and s.endswith("votre compte a été inactivé")] == [1]
    assert [n for (to, s), n in sent.items() if to == AGENT_998 and "inactivé à la date" in s] == [1]
    with _db(fault_stack, "accounts") as db:
        inactivated = db.execute("SELECT count(*) FROM audit_entry WHERE action = 'account_inactivated' AND target_id = "
                                 "(SELECT id FROM account WHERE email = ? AND profile = 'gestionnaire')",
                                 (departing,)).fetchone()[0]
        steps = db.execute("SELECT count(*) FROM account_request_step WHERE request_id = ? AND side = 'system'",
                           (request_id,)).fetchone()[0]
        status, = db.execute("SELECT status FROM account_request WHERE id = ?", (request_id,)).fetchone()
    assert (inactivated, steps, status) == (1, 1, "done")
