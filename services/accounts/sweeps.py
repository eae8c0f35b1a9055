"""Scheduled sweeps (nameko timers in the service). Each is idempotent and safe
with two service instances running: every change is claimed by a conditional
UPDATE whose row count says who won, and every email's event id is derived
from what caused it, so the notifier drops a duplicate."""
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts import events
from contracts.errors import RuleViolation
from services.accounts import access, audit, caisse_settings, settings
from services.accounts.authentication import recipient
from services.accounts.habilitation import _inactivate, request_review, review_emails
from services.accounts.models import Account, AuditEntry, Convention, HabilitationReview, utcnow

# The sweeps whose last run the supervision screen shows (services.common.sweep_runs), by timer method.
SWEEPS = {"sweep": "Tâches planifiées des comptes (inactivité, conventions, revues, départs, purges)"}


def _claim(session: Session, model, row_id: int, condition, **values) -> bool:
    return session.execute(sa.update(model).where(model.id == row_id, condition).values(**values)).rowcount == 1


def _by_rule(session: Session) -> dict[tuple[int, int], tuple[list[int], str]]:
    """(days, warning days) -> (the partners under that inactivity rule, the caisse it comes from): the
    strictest rule of each partner's active conventions (services.accounts.caisse_settings)."""
    groups: dict[tuple[int, int], tuple[list[int], str]] = {}
    for partner_id, rule in caisse_settings.inactivity_rules_by_partner(session).items():
        groups.setdefault((rule["days"], rule["warning_days"]), ([], rule["caisse_name"]))[0].append(partner_id)
    return groups


def _active_techniciens(session: Session, partner_ids: list[int], *conditions) -> list[Account]:
    return list(session.scalars(sa.select(Account).where(
        Account.profile == "technicien", Account.status == "active", Account.partner_id.in_(partner_ids), *conditions)))


def warn_inactive_techniciens(session: Session, emit: list, now: datetime | None = None) -> int:
    """Only where a caisse of the partner applies the rule (off by default; the Annemasse agreement has it)."""
    now = now or utcnow()
    count = 0
    for (days, warning), (partner_ids, caisse_name) in _by_rule(session).items():
        due = _active_techniciens(session, partner_ids, Account.inactivity_warned_at.is_(None),
                                  Account.activity_at < now - timedelta(days=days - warning))
        for account in due:
            if not _claim(session, Account, account.id, Account.inactivity_warned_at.is_(None),
                          inactivity_warned_at=now):
                continue
            on = max(account.activity_at + timedelta(days=days), now + timedelta(days=warning)).date()
            audit.record(session, "inactivity_warning", target=account,
                         details=f"inactivation prévue le {on:%d/%m/%Y}")
            emit.append((events.INACTIVITY_WARNING, {
                "event_id": f"inactivity:{account.id}:{account.activity_at.isoformat()}",
                "recipients": [recipient(account)], "inactivation_date": on.isoformat(),
                "inactivity_days": days, "caisse_name": caisse_name}))
            count += 1
    session.commit()
    return count


def inactivate_inactive_techniciens(session: Session, emit: list, now: datetime | None = None) -> int:
    """A rule switched off since the warning inactivates no one: only the partners under a rule today."""
    now = now or utcnow()
    count = 0
    for (days, warning), (partner_ids, _caisse) in _by_rule(session).items():
        due = _active_techniciens(session, partner_ids, Account.activity_at < now - timedelta(days=days),
                                  Account.inactivity_warned_at.is_not(None),      # never without the warning first
                                  Account.inactivity_warned_at <= now - timedelta(days=warning))
        for account in due:
            if not _claim(session, Account, account.id, Account.status == "active", status="inactive"):
                continue
            _inactivate(session, None, account, "inactivite", emit)
            count += 1
    session.commit()
    return count


def purge_inactivated(session: Session, emit: list | None = None, now: datetime | None = None) -> int:
    """Accounts inactivated more than 6 months ago disappear; the audit trail keeps their name."""
    now = now or utcnow()
    due = list(session.scalars(sa.select(Account).where(Account.status == "inactive",
                                                        Account.inactivated_at < now - settings.purge_after())))
    for account in due:
        audit.record(session, "account_deleted", target=account,
                     details=f"inactivé le {account.inactivated_at:%d/%m/%Y}")
        session.execute(sa.update(AuditEntry).where(AuditEntry.target_id == account.id).values(target_id=None))
        session.execute(sa.update(AuditEntry).where(AuditEntry.actor_id == account.id).values(actor_id=None))
        session.delete(account)
    session.commit()
    return len(due)


def periodic_reviews(session: Session, emit: list, now: datetime | None = None) -> int:
    """Ask each partner for a review once per period, and remind until confirmed."""
    now = now or utcnow()
    count = 0
    for convention in list(session.scalars(sa.select(Convention).where(access.in_force(now.date())))):
        last = session.scalar(sa.select(sa.func.max(HabilitationReview.requested_at)).where(
            HabilitationReview.partner_id == convention.partner_id))
        started = datetime.combine(convention.start_date, datetime.min.time())
        if (last or started) < now - settings.review_period():
            try:
                request_review(session, None, convention.partner, convention.caisse_id, emit)
                count += 1
            except RuleViolation:       # an open review exists (another instance just made it)
                session.rollback()
    reminder_before = now - settings.review_reminder_every()
    for review in list(session.scalars(sa.select(HabilitationReview).where(
            HabilitationReview.confirmed_at.is_(None),
            sa.func.coalesce(HabilitationReview.last_reminder_at, HabilitationReview.requested_at) < reminder_before))):
        previous = review.last_reminder_at
        if _claim(session, HabilitationReview, review.id,
                  sa.func.coalesce(HabilitationReview.last_reminder_at, HabilitationReview.requested_at) < reminder_before,
                  last_reminder_at=now):
            review_emails(session, review, True, emit, f"review:{review.id}:reminder:{(previous or now).isoformat()}")
    session.commit()
    return count
