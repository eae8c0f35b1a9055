"""The scheduled sweeps: each run twice (as two instances would) changes
things once and emails once."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from contracts import events
from services.accounts import conventions, sweeps
from services.accounts.models import Account, AuditEntry, Caisse, Convention, HabilitationReview, utcnow
from services.accounts.tests.conftest import AGENT, GEST, TECH, TECH_B, account, events_of

pytestmark = pytest.mark.db


def run_twice(step, session, **kw):
    first, second = [], []
    step(session, first, **kw)
    step(session, second, **kw)
    return first + second


def inactivity(session, code, on=True, days=90, warning=15):
    """The caisse's setting (« Paramètres de la caisse »): off by default, on in the demo for 998."""
    caisse = session.query(Caisse).filter_by(code=code).one()
    caisse.technicien_inactivity, caisse.technicien_inactivity_days = on, days
    caisse.technicien_inactivity_warning_days = warning
    session.commit()


def idle_technicien(session, days: int = 80):
    """The demo technicien, unused for ``days``, at a partner of a caisse applying the inactivity rule."""
    inactivity(session, "999")
    tech = account(session, TECH)
    tech.activity_at = utcnow() - timedelta(days=days)
    session.commit()
    return tech


def test_inactive_technicien_is_warned_15_days_ahead_then_inactivated(session, worker):
    tech = idle_technicien(session)
    now = utcnow()
    sent = run_twice(sweeps.warn_inactive_techniciens, session, now=now)
    assert [e for e, _ in sent] == [events.INACTIVITY_WARNING]               # once, not twice
    # 90 days after the last login, but never less than the 15 days of warning
    assert sent[0][1]["inactivation_date"] == (now + timedelta(days=15)).date().isoformat()
    assert run_twice(sweeps.inactivate_inactive_techniciens, session, now=now) == []     # not yet
    later = now + timedelta(days=15)
    sent = run_twice(sweeps.inactivate_inactive_techniciens, session, now=later)
    assert [e for e, _ in sent] == [events.ACCOUNT_INACTIVATED]
    session.refresh(tech)
    assert (tech.status, tech.inactivation_reason) == ("inactive", "inactivite")


def test_logging_in_after_the_warning_keeps_the_account(session, worker):
    tech = account(session, TECH)
    tech.activity_at = utcnow() - timedelta(days=80)
    session.commit()
    run_twice(sweeps.warn_inactive_techniciens, session)
    worker().authenticate(TECH, "Techni-Demo-2026!")
    assert run_twice(sweeps.inactivate_inactive_techniciens, session, now=utcnow() + timedelta(days=15)) == []
    session.refresh(tech)
    assert tech.status == "active" and tech.inactivity_warned_at is None


def test_never_inactivated_without_the_warning_first(session):
    tech = account(session, TECH)
    tech.activity_at = utcnow() - timedelta(days=200)
    session.commit()
    assert run_twice(sweeps.inactivate_inactive_techniciens, session) == []
    assert account(session, TECH).status == "active"


def test_gestionnaires_are_not_swept_for_inactivity(session):
    gest = account(session, GEST)
    gest.activity_at = utcnow() - timedelta(days=400)
    session.commit()
    assert run_twice(sweeps.warn_inactive_techniciens, session) == []


def test_accounts_inactivated_six_months_ago_are_deleted_and_the_trail_keeps_their_name(session, worker):
    tech = account(session, TECH)
    worker(GEST).inactivate_account(tech.id, "gestionnaire")
    tech_id = tech.id
    assert sweeps.purge_inactivated(session, now=utcnow() + timedelta(days=100)) == 0
    assert sweeps.purge_inactivated(session, now=utcnow() + timedelta(days=184)) == 1
    assert session.get(Account, tech_id) is None
    trail = session.query(AuditEntry).filter(AuditEntry.target_name == "Hugo Lambertin").all()
    assert {e.action for e in trail} >= {"account_inactivated", "account_deleted"}
    assert all(e.target_id is None for e in trail)
    assert worker(AGENT).audit_log(account(session, GEST).partner_id)[0]["action"] == "account_deleted"
    # Really gone: no row of any table still holds the account's id as owner, nor its email (but the
    # event outbox, a queue whose rows are deleted once published, within a second of their commit).
    for table in (t for t in Account.metadata.sorted_tables if t.name != "event_outbox"):
        owner = table.c.get("account_id")
        if owner is not None:
            assert session.execute(sa.select(sa.func.count()).select_from(table).where(owner == tech_id)).scalar() == 0
        for row in session.execute(sa.select(table)).all():
            assert TECH not in repr(tuple(row)), table.name


def test_conventions_past_their_end_date_are_ended(session):
    convention = session.query(Convention).filter_by(partner_id=account(session, GEST).partner_id).one()
    convention.end_date, convention.tacit_renewal = date.today() - timedelta(days=1), False
    session.commit()
    sent = run_twice(conventions.renew_or_end, session)
    assert [e for e, _ in sent] == [events.ACCOUNT_INACTIVATED] * 2             # its only convention: both accounts
    session.refresh(convention)
    assert convention.status == "ended"
    assert account(session, GEST).status == "inactive"


def test_periodic_review_then_reminders_until_confirmed(session, worker):
    session.query(Convention).update({"start_date": date.today() - timedelta(days=400)})
    session.commit()
    now = utcnow()
    sent = run_twice(sweeps.periodic_reviews, session, now=now)
    assert sorted(p["partner_name"] for e, p in sent) == ["Association Le Relais Fictif", "CCAS de Saint-Exemple"]
    assert session.query(HabilitationReview).count() == 2
    assert run_twice(sweeps.periodic_reviews, session, now=now + timedelta(days=3)) == []
    reminders = run_twice(sweeps.periodic_reviews, session, now=now + timedelta(days=8))
    assert len(reminders) == 2 and all(p["reminder"] for _, p in reminders)
    worker(GEST).confirm_review()
    reminders = run_twice(sweeps.periodic_reviews, session, now=now + timedelta(days=16))
    assert [p["partner_name"] for _, p in reminders] == ["Association Le Relais Fictif"]


def test_the_timer_entrypoint_runs_every_sweep(session, worker):
    idle_technicien(session)
    service = worker()
    service.sweep()
    service.sweep()
    assert len(events_of(service, events.INACTIVITY_WARNING)) == 1


def test_inactivity_is_off_where_the_caisse_has_not_switched_it_on(session):
    tech = account(session, TECH)                     # CCAS: a convention with 999 only, rule off by default
    tech.activity_at = utcnow() - timedelta(days=400)
    session.commit()
    assert run_twice(sweeps.warn_inactive_techniciens, session) == []


def test_each_caisse_sets_its_own_delay_and_warning(session):
    inactivity(session, "999", days=60, warning=10)
    tech = account(session, TECH)
    tech.activity_at = utcnow() - timedelta(days=49)
    session.commit()
    assert run_twice(sweeps.warn_inactive_techniciens, session) == []
    tech.activity_at = utcnow() - timedelta(days=51)
    session.commit()
    sent = run_twice(sweeps.warn_inactive_techniciens, session)
    assert [(p["inactivity_days"], p["caisse_name"]) for _, p in sent] == [(60, "CPAM de Valfleuri")]
    later = utcnow() + timedelta(days=10)
    assert [e for e, _ in run_twice(sweeps.inactivate_inactive_techniciens, session, now=later)] == \
        [events.ACCOUNT_INACTIVATED]


def test_a_partner_of_several_caisses_follows_the_strictest_rule(session):
    """Le Relais Fictif: conventions with 999 (rule off) and 998 (on, 90 days, in the demo data)."""
    tech = account(session, TECH_B)
    tech.activity_at = utcnow() - timedelta(days=80)
    session.commit()
    sent = run_twice(sweeps.warn_inactive_techniciens, session)
    assert [(p["inactivity_days"], p["caisse_name"]) for _, p in sent] == [(90, "CPAM des Hauts-Fictifs")]
    tech.inactivity_warned_at = None
    session.commit()
    inactivity(session, "999", days=60, warning=20)      # now both: the shorter delay wins
    sent = run_twice(sweeps.warn_inactive_techniciens, session)
    assert [(p["inactivity_days"], p["caisse_name"]) for _, p in sent] == [(60, "CPAM de Valfleuri")]


def test_a_rule_switched_off_after_the_warning_inactivates_no_one(session):
    inactivity(session, "999")
    tech = account(session, TECH)
    tech.activity_at = utcnow() - timedelta(days=80)
    session.commit()
    assert len(run_twice(sweeps.warn_inactive_techniciens, session)) == 1
    inactivity(session, "999", on=False)
    assert run_twice(sweeps.inactivate_inactive_techniciens, session, now=utcnow() + timedelta(days=20)) == []
    assert account(session, TECH).status == "active"
