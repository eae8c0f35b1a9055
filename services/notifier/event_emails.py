"""Emails caused by other services' events (contracts.events): one per recipient per event,
all of an event queued in one transaction."""
from urllib.parse import quote

from sqlalchemy.orm import Session

from contracts import dates, events
from services.notifier import outbox, rendering
from services.notifier.outbox import Mail
from services.notifier.rendering import link as _link

# What happened to a person's second factor (contracts.events.SECOND_FACTOR_CHANGES), as the email says it.
SECOND_FACTOR_CHANGES = {
    "enrolled": "la double authentification a été activée",
    "disabled": "la double authentification a été désactivée",
    "recovery_codes_renewed": "de nouveaux codes de secours ont été générés (les précédents ne fonctionnent plus)",
    "recovery_code_used": "un code de secours a servi à vous connecter",
    "reset": "votre double authentification a été réinitialisée par votre gestionnaire ou votre caisse "
             "(à votre demande, après la perte de votre téléphone et de vos codes de secours)",
}

def _parties(payload: dict) -> dict:
    return {"caisse_name": payload["caisse_name"], "partner_name": payload["partner_name"]}


# Account email events (contracts.events envelope: event_id + recipients, plus these fields):
# event type -> (template kind, context built from the payload, shared by every recipient).
EMAILS = {
    events.PASSWORD_RESET_REQUESTED: ("password_reset", lambda p: {
        "link": _link(f"/mot-de-passe/nouveau/{quote(p['token'], safe='')}"),
        "expires_at": dates.datetime_fr_at(p["expires_at"])}),
    events.ACCOUNT_INVITED: ("account_invited", lambda p: {
        "link": _link(f"/activation/{quote(p['token'], safe='')}"),
        "expires_at": dates.datetime_fr_long(p["expires_at"]),
        "profile_label": p["profile_label"], "organisation": p["organisation"],
        "second_factor_required": bool(p.get("second_factor_required"))}),
    events.PASSWORD_CHANGED: ("password_changed", lambda p: {
        "changed_at": dates.datetime_fr_at(p["changed_at"]), "forgot_link": _link("/mot-de-passe/oublie")}),
    events.ACCOUNT_INACTIVATED: ("account_inactivated", lambda p: {"reason_label": p["reason_label"]}),
    events.FRAUD_INACTIVATION: ("fraud_inactivation", lambda p: {
        "account_name": p["account_name"], "reason_label": p["reason_label"], "partner_name": p["partner_name"],
        "to_referents": bool(p.get("to_referents"))}),
    events.INACTIVITY_WARNING: ("inactivity_warning", lambda p: {
        "inactivation_date": dates.date_fr(p["inactivation_date"]), "link": _link("/connexion"),
        "inactivity_days": p.get("inactivity_days"), "caisse_name": p.get("caisse_name")}),
    events.REVIEW_REQUESTED: ("review_requested", lambda p: {
        "partner_name": p["partner_name"], "caisse_name": p["caisse_name"], "reminder": bool(p["reminder"]),
        "link": _link("/habilitations")}),
    events.SECOND_FACTOR_CHANGED: ("second_factor_changed", lambda p: {
        "change": SECOND_FACTOR_CHANGES[p["change"]], "changed_at": dates.datetime_fr_at(p["changed_at"]),
        "link": _link("/mon-compte/double-authentification")}),
    events.EMAIL_CHANGED: ("email_changed", lambda p: {
        "changed_at": dates.datetime_fr_at(p["changed_at"]), "changed_by": p["changed_by"],
        "new_email": p["new_email"]}),
    events.EMAIL_CHANGED_NEW: ("email_changed_new", lambda p: {
        "changed_at": dates.datetime_fr_at(p["changed_at"]), "changed_by": p["changed_by"],
        "link": _link("/connexion")}),
    # Partners and conventions (services.accounts.conventions): caisse_name, partner_name in each.
    events.CONVENTION_PROPOSED: ("convention_proposed", lambda p: {
        **_parties(p), "start_date": dates.date_fr(p["start_date"]), "link": _link("/conventions")}),
    events.CONVENTION_ANSWERED: ("convention_answered", lambda p: {
        **_parties(p), "accepted": bool(p["accepted"]), "link": _link("/partenaires")}),
    events.PARTNER_ACCESS_CHANGED: ("partner_access_changed", lambda p: {
        **_parties(p), "suspended": bool(p["suspended"])}),
    events.CONVENTION_ENDING: ("convention_ending", lambda p: {
        **_parties(p), "end_date": dates.date_fr(p["end_date"]), "link": _link("/")}),
    # « Demandes à la caisse » (services.accounts.account_requests): each side reads it on its own screen.
    events.ACCOUNT_REQUEST_STEP: ("account_request_step", lambda p: {
        **_parties(p), "kind_label": p["kind_label"], "status_label": p["status_label"], "what": p["what"],
        "account_name": p["account_name"], "due_date": dates.date_fr(p["due_date"]),
        "to_caisse": p["audience"] == "caisse",
        "link": _link(f"/caisse/demandes-partenaires/{int(p['request_id'])}" if p["audience"] == "caisse"
                      else f"/demandes-caisse/{int(p['request_id'])}")}),
    # From the requests service (same envelope); no data about the insured person, only the reference.
    events.REQUEST_STATUS_CHANGED: ("request_status_changed", lambda p: {
        "reference": p["reference"], "kind_label": p["kind_label"], "status_label": p["status_label"],
        "new_message": bool(p.get("new_message")), "link": _link(f"/demandes/{int(p['request_id'])}")}),
    events.LATE_REQUESTS_SUMMARY: ("late_requests_summary", lambda p: {
        "caisse_name": p["caisse_name"], "count": int(p["count"]), "late_after_days": int(p["late_after_days"]),
        "references": [str(r) for r in p["references"]][:10], "link": _link("/file?late=1")}),
    # Support reports (issue 15, point 3), from the requests service.
    events.SUPPORT_REPORT_FILED: ("support_report_filed", lambda p: {
        "reference": p["reference"], "category_label": p["category_label"], "caisse_name": p["caisse_name"],
        "organisation": p["organisation"], "link": _link(f"/support/{int(p['report_id'])}")}),
    events.SUPPORT_REPORT_UPDATED: ("support_report_updated", lambda p: {
        "reference": p["reference"], "status_label": p["status_label"], "answered": bool(p.get("answered")),
        "link": _link(f"/support/{int(p['report_id'])}")}),
}

# Which service publishes each of these events (services.notifier.service handles each one).
SOURCES = {**{event_type: events.ACCOUNTS for event_type in events.ACCOUNT_EMAIL_EVENTS},
           events.REQUEST_STATUS_CHANGED: events.REQUESTS, events.LATE_REQUESTS_SUMMARY: events.REQUESTS,
           events.SUPPORT_REPORT_FILED: events.REQUESTS, events.SUPPORT_REPORT_UPDATED: events.REQUESTS}


def render_for_recipients(event_type: str, payload: dict) -> list[Mail]:
    """One email per recipient. The key is per event *type* too: accounts may give two
    events the same event_id."""
    kind, build_context = EMAILS[event_type]
    context = build_context(payload)
    return [rendering.mail(kind, f"{event_type}:{payload['event_id']}:{person['email'].lower()}",
                           rendering.caused_by(person, payload.get("caisse_code")), **context)
            for person in payload["recipients"]]


def enqueue_event(session: Session, event_type: str, payload: dict) -> int:
    """Everything is rendered before anything is queued, and queued in one transaction:
    a malformed payload or a crash queues nothing, a redelivered event nothing more."""
    return outbox.enqueue_many(session, render_for_recipients(event_type, payload))
