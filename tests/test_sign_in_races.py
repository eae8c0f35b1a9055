"""Race-free counting through the running services (issue 16, point 2): twenty wrong passwords sent at
once as RPC calls over the broker to the accounts service all count, and the lock is reached; the
service-level race tests (services/accounts/tests/test_races.py) cover codes, caps and links."""
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from contracts.errors import InvalidCredentials, LoginThrottled, ServiceUnavailable
from tests import helpers
from tests.helpers import new_technicien

pytestmark = [pytest.mark.integration, pytest.mark.db]
PASSWORD = "Activation-Solide-2026!"


def failure_numbers(email) -> list[int]:
    engine = sa.create_engine(helpers.STACK["accounts_database_url"])
    with engine.connect() as conn:
        details = conn.execute(sa.text(
            "SELECT details FROM audit_entry JOIN account ON account.id = audit_entry.target_id "
            "WHERE account.email = :email AND audit_entry.action = 'login_failed'"), {"email": email}).scalars()
        numbers = sorted(int(re.search(r"\d+", d).group()) for d in details)
    engine.dispose()
    return numbers


def test_twenty_wrong_passwords_at_once_through_the_broker_all_count(app, client, mailbox):
    email = new_technicien(app, mailbox, client, PASSWORD)
    services = app.extensions["services"]

    def wrong(n):
        with app.app_context():
            try:
                return services.call("accounts", "authenticate", email, f"Pas-le-bon-{n}-2026!", "Firefox", "203.0.113.30")
            except (InvalidCredentials, LoginThrottled, ServiceUnavailable) as exc:   # the last: late, still served
                return exc

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(wrong, range(20)))
    assert all(isinstance(o, Exception) for o in outcomes)
    counted, before = failure_numbers(email), None
    while counted != before:                          # the late calls (past the RPC timeout) are served too
        time.sleep(2)
        before, counted = counted, failure_numbers(email)
    assert len(counted) >= 10                                                 # the lock is reached
    assert counted == sorted(list(range(1, 11)) + list(range(1, len(counted) - 9)))    # each failure its own number
    with app.app_context(), pytest.raises(LoginThrottled) as locked:
        services.call("accounts", "authenticate", email, PASSWORD, "Firefox", "203.0.113.30")
    assert "verrouillé" in locked.value.message
