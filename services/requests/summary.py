"""The daily summary of late requests, one email a day per caisse to its agents."""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from contracts import events
from contracts.errors import ServiceUnavailable
from services.requests.catalogue import UNTREATED_STATUSES
from services.requests.caisse_settings import ensure_row, late_after_days, late_clause
from services.requests.models import CaisseSetting, PartnerRequest, utcnow

# The requests service's sweeps, whose last run the supervision screen shows (services.common.sweep_runs).
SWEEPS = {"late_summary": "Récapitulatif quotidien des demandes en retard",
          "purge_finished": "Suppression des demandes échues et des saisies abandonnées"}


def late_by_caisse(session: Session) -> dict[str, list[str]]:
    """caisse code -> references of its untreated requests past its delay, oldest first."""
    late: dict[str, list[str]] = {}
    codes = session.scalars(sa.select(PartnerRequest.caisse_code).where(
        PartnerRequest.status.in_(UNTREATED_STATUSES)).distinct())
    for code in list(codes):
        refs = session.scalars(sa.select(PartnerRequest.reference).where(
            PartnerRequest.caisse_code == code, late_clause(late_after_days(session, code)))
            .order_by(PartnerRequest.created_at))
        refs = list(refs)
        if refs:
            late[code] = refs
    return late


def late_counts(session: Session, caisse_codes: list[str] | None = None) -> list[dict]:
    """Each caisse's untreated requests past its delay (every caisse that has untreated requests, or
    ``caisse_codes``): how many, the oldest one's age in days, the caisse's delay."""
    if caisse_codes is None:
        caisse_codes = sorted(session.scalars(sa.select(PartnerRequest.caisse_code).where(
            PartnerRequest.status.in_(UNTREATED_STATUSES)).distinct()))
    counts = []
    for code in caisse_codes:
        delay = late_after_days(session, code)
        late, oldest = session.execute(sa.select(sa.func.count(), sa.func.min(PartnerRequest.created_at)).where(
            PartnerRequest.caisse_code == code, late_clause(delay))).one()
        counts.append({"caisse_code": code, "late": late, "late_after_days": delay,
                       "oldest_days": (utcnow() - oldest).days if oldest is not None else None})
    return counts


def claim_today(session: Session, caisse_code: str, today: date) -> bool:
    """Once a day per caisse, even with two instances: the row's date is the claim
    (committed by the caller, with the summary's event)."""
    ensure_row(session, caisse_code)
    won = session.execute(sa.update(CaisseSetting).where(
        CaisseSetting.caisse_code == caisse_code,
        sa.or_(CaisseSetting.last_summary_on.is_(None), CaisseSetting.last_summary_on < today))
        .values(last_summary_on=today)).rowcount == 1
    return won


def daily(session: Session, agents_of, today: date | None = None, emit: list | None = None) -> list:
    """``agents_of(code)`` -> {"name", "agents": [recipients]}. Returns ``emit`` with the events,
    each committed together with its day's claim."""
    today = today or date.today()
    emitted = emit if emit is not None else []
    for code, refs in late_by_caisse(session).items():
        caisse = agents_of(code)            # first: if accounts does not answer, nothing is claimed
        if caisse["agents"] and claim_today(session, code, today):
            emitted.append((events.LATE_REQUESTS_SUMMARY, {
                "event_id": f"late:{code}:{today.isoformat()}", "recipients": caisse["agents"],
                "caisse_name": caisse["name"], "count": len(refs),
                "late_after_days": late_after_days(session, code), "references": refs[:10]}))
        session.commit()
    return emitted


def hourly(session: Session, services, emit: list) -> None:
    """The timer's check: caisses and their agents from accounts; when accounts does not answer,
    the next check tries again (what was claimed before stays claimed, with its event)."""
    try:
        daily(session, lambda code: services.call_as_service("accounts", "caisse_agents", code), emit=emit)
    except ServiceUnavailable:
        pass
