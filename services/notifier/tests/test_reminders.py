"""Password renewal reminders on the real database: at 15, 7 and 1 days and at expiry, each
once per account and password, across sweeps and two instances; a new password starts anew."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.notifier import reminders
from services.notifier.models import MessageCaisse, OutboxMessage
from services.notifier.tests.people import Directory, person

pytestmark = pytest.mark.db
BASE = "https://partenaires.example.test"
NOW = datetime(2026, 6, 1, 8, 0)


@pytest.fixture(autouse=True)
def settings(monkeypatch):
    monkeypatch.setenv("EP_BASE_URL", BASE)
    monkeypatch.delenv("EP_REMINDER_DAYS", raising=False)


def expiring(account_id, in_days, changed="2025-06-01T08:00:00Z"):
    return person(account_id, password_changed_at=changed,
                  expires_at=(NOW + timedelta(days=in_days)).isoformat() + "Z")


def kinds(db):
    return db.execute(sa.select(OutboxMessage.idempotency_key, OutboxMessage.kind).order_by(OutboxMessage.id)).all()


def test_thresholds_and_expiry():
    changed = "2025-06-01T08:00:00Z"
    assert reminders.due(expiring(1, 20), [15, 7, 1], NOW) is None
    assert reminders.due(expiring(1, 15), [15, 7, 1], NOW) == (f"password_reminder:1:{changed}:15",
                                                               "password_renewal_reminder")
    assert reminders.due(expiring(1, 5), [15, 7, 1], NOW)[0].endswith(":7")     # the nearest passed only
    assert reminders.due(expiring(1, 0.5), [15, 7, 1], NOW)[0].endswith(":1")
    assert reminders.due(expiring(1, 0), [15, 7, 1], NOW) == (f"password_expired:1:{changed}", "password_expired")


def test_each_reminder_once_across_sweeps_and_instances(db, database_urls):
    directory = Directory([expiring(1, 14), expiring(2, 30), expiring(3, -2), expiring(4, 6)], page_size=3)
    assert reminders.sweep(db, directory.expiries, NOW) == 3
    assert [after for _, after in directory.asked] == [0, 3]             # walked in pages
    second_instance = Session(db.bind)
    assert reminders.sweep(second_instance, directory.expiries, NOW) == 0
    assert reminders.sweep(db, directory.expiries, NOW + timedelta(hours=5)) == 0
    second_instance.close()
    assert [kind for _, kind in kinds(db)] == ["password_renewal_reminder", "password_expired",
                                               "password_renewal_reminder"]
    # A week later account 1 crosses 7 days and account 4 has expired (its 1-day reminder fell while
    # no sweep ran: only the current one goes, not a burst of stale ones).
    assert reminders.sweep(db, directory.expiries, NOW + timedelta(days=7)) == 2
    assert reminders.sweep(db, directory.expiries, NOW + timedelta(days=7, hours=1)) == 0
    keys = [key for key, _ in kinds(db)]
    assert len(keys) == len(set(keys)) == 5
    assert keys[-1] == "password_expired:4:2025-06-01T08:00:00Z"


def test_a_new_password_starts_new_reminders(db):
    assert reminders.sweep(db, Directory([expiring(1, 3)]).expiries, NOW) == 1
    renewed = expiring(1, 3, changed="2026-05-30T10:00:00Z")            # same account, new password
    assert reminders.sweep(db, Directory([renewed]).expiries, NOW) == 1


def test_reminder_email(db, monkeypatch):
    monkeypatch.setenv("EP_REMINDER_DAYS", "10")
    reminders.sweep(db, Directory([expiring(7, 9.5, changed="2025-06-01T08:00:00Z")]).expiries, NOW)
    message = db.scalars(sa.select(OutboxMessage)).one()
    assert message.subject == "Espace Partenaires : votre mot de passe expire dans 10 jours"
    assert "expire le 10/06/2026 à 22:00 (heure de Paris)" in message.body_text
    assert f"\n{BASE}/mon-compte/mot-de-passe\n" in message.body_text
    assert f'href="{BASE}/mon-compte/mot-de-passe"' in message.body_html
    assert (message.account_id, message.recipient_name) == (7, "Prénom Nom7")
    assert db.scalars(sa.select(MessageCaisse.caisse_code)).all() == ["999"]
