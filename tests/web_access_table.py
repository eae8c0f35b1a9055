"""Who may reach what in the web: every route of ``app.url_map``, one row each.

A row: the profiles allowed (``PUBLIC``: anyone, signed in or not), and for a route that only
takes POST, the POST is made with the session's CSRF token. Path parameters are filled with
objects of caisse X / partner A (tests/access_world.py); ``throwaway`` routes get fresh objects
for the allowed profiles because the POST changes them (end of convention, suspension…).
"""
from dataclasses import dataclass

from tests.access_table import AGENTS, CAISSE_AGENTS, PARTNER, PEOPLE, TECHNICIENS

PUBLIC = PEOPLE | {"inactive", "anonymous"}
GESTIONNAIRES = frozenset({"gest_a", "gest_b"})
OWNER_A = frozenset({"admin", "agent_x"})        # partner A's and caisse X's objects, seen from the caisse
REQUEST_A = frozenset({"tech_a", "gest_a", "agent_x"})


@dataclass(frozen=True)
class Route:
    allowed: frozenset
    throwaway: bool = False
    lands_on_login: bool = False       # the allowed answer itself sends to /connexion (logout, a bare profile choice)
    data: tuple = ()                   # form fields of the POST
    caisse_admin: bool = False         # among the caisse's agents, its administrateurs only (not the plain agent)


def _r(allowed, throwaway=False, lands_on_login=False, data=(), caisse_admin=False):
    return Route(frozenset(allowed), throwaway, lands_on_login, tuple(data), caisse_admin)


ROUTES = {
    "home.index": _r(PEOPLE),
    "home.health": _r(PUBLIC),
    "home.alive": _r(PUBLIC),
    "home.ready": _r(PUBLIC),
    "home.recent_requests": _r(PARTNER),
    "home.caisse_queue": _r(CAISSE_AGENTS),
    "static": _r(PUBLIC),
    "vendor.asset": _r(PUBLIC),
    "auth.login": _r(PUBLIC),
    "legal.accessibility": _r(PUBLIC),
    "legal.legal_notice": _r(PUBLIC),
    "legal.personal_data": _r(PUBLIC),
    "legal.site_map": _r(PUBLIC),
    "auth.login_choice": _r(PUBLIC, lands_on_login=True),
    "auth.activation": _r(PUBLIC),
    "auth.renew_invitation": _r(PUBLIC),
    "auth.new_password": _r(PUBLIC),
    "auth.forgot_password": _r(PUBLIC),
    "auth.check_password": _r(PUBLIC),
    "auth.cgu": _r(PEOPLE),
    "auth.account": _r(PEOPLE),
    "auth.change_password": _r(PEOPLE),
    "auth.end_other_sessions": _r(PEOPLE),
    "auth.logout": _r(PEOPLE, lands_on_login=True),
    "auth.login_second_factor": _r(PUBLIC),              # no ticket: the code page says so
    "second_factor.settings": _r(PEOPLE),
    "second_factor.begin": _r(PEOPLE),
    "second_factor.confirm": _r(PEOPLE),
    "second_factor.renew_codes": _r(PEOPLE),
    "second_factor.disable": _r(PEOPLE),
    "news.index": _r(PEOPLE - {"admin"}),
    "news.unsubscribe": _r(PUBLIC),
    "news.subscription": _r(PARTNER, data={"caisse_code": "999"}.items()),
    "admin.caisses": _r({"admin"}),
    "admin.new_caisse": _r({"admin"}),
    "admin.edit_caisse": _r({"admin"}),
    "delivery.index": _r(AGENTS),
    "supervision.index": _r(AGENTS),
    "supervision.service": _r(AGENTS),
    "delivery.resend": _r(OWNER_A),
    "requests_ui.history": _r(PARTNER),
    "requests_ui.detail": _r(REQUEST_A),
    "requests_ui.act": _r({"tech_a", "agent_x"}),
    "requests_ui.download": _r(REQUEST_A),
    "requests_ui.new": _r(TECHNICIENS),
    "requests_ui.new_form": _r(TECHNICIENS),
    "requests_ui.check_field": _r(PARTNER | CAISSE_AGENTS),
    "requests_ui.queue": _r(CAISSE_AGENTS),
    "requests_ui.requests_settings": _r(AGENTS, caisse_admin=True),
    "requests_ui.notifications": _r(PARTNER),
    "statistics.page": _r(AGENTS),
    "statistics.requests_fragment": _r(AGENTS),
    "statistics.accounts_fragment": _r(AGENTS),
    "statistics.csv": _r(AGENTS),
    "statistics.queue_csv": _r(CAISSE_AGENTS),
    "statistics.request_pdf": _r(OWNER_A),
    "personal_data.index": _r(CAISSE_AGENTS),
    "habilitations.index": _r(GESTIONNAIRES),
    "habilitations.export_csv": _r(GESTIONNAIRES),
    "habilitations.table": _r(GESTIONNAIRES),
    "habilitations.account_action": _r({"gest_a"}),
    "habilitations.confirm_review": _r(GESTIONNAIRES),
    "partners.index": _r(AGENTS),
    "partners.new": _r(CAISSE_AGENTS),
    "partners.invitations": _r(AGENTS | GESTIONNAIRES),
    "partners.resend_invitation": _r(OWNER_A | {"gest_a"}),
    "partners.audit": _r(AGENTS),
    "partners.detail": _r(OWNER_A),
    "partners.habilitations": _r(OWNER_A),
    "partners.export_csv": _r(OWNER_A),
    "partners.journal": _r(OWNER_A),
    "partners.account_action": _r(OWNER_A),
    "partners.edit_gestionnaire": _r(OWNER_A),
    "partners.create_gestionnaire": _r(OWNER_A),
    "partners.end_convention": _r(OWNER_A, throwaway=True),
    "partners.convention_features": _r(OWNER_A, throwaway=True),
    "partners.request_review": _r({"agent_x"}, throwaway=True),
    "partners.suspend": _r(OWNER_A, throwaway=True),
    "partners.edit_partner": _r(OWNER_A),
    "partners.edit_convention": _r(OWNER_A),
    "conventions.index": _r(GESTIONNAIRES),
    "conventions.answer": _r({"gest_a"}),          # an answered convention of A: "already answered"
    "maintenance.index": _r(AGENTS),
    "maintenance.edit": _r(OWNER_A),
    "maintenance.cancel": _r(OWNER_A, throwaway=True),
    # The caisse's staff and settings (administrateurs de caisse; the national admin for the agents).
    "staff.agents": _r(AGENTS, caisse_admin=True),
    "staff.edit_agent": _r({"agent_x"}, caisse_admin=True),      # the national admin: with ?caisse=999
    "staff.agent_action": _r(OWNER_A, caisse_admin=True),
    "staff.settings": _r(CAISSE_AGENTS, caisse_admin=True),
    "staff.save_rules": _r(CAISSE_AGENTS, caisse_admin=True,
                           data={"technicien_inactivity": "y", "technicien_inactivity_days": "x"}.items()),
    "staff.save_referents": _r(CAISSE_AGENTS, caisse_admin=True,
                               data={"referents-0-kind": "person", "referents-0-name": "Sans téléphone"}.items()),
    # Support reports and the documentation (issue 15, points 3-4): tech_a's report to caisse X, X's document.
    "support.new": _r(PEOPLE),
    "support.mine": _r(PEOPLE),
    "support.queue": _r(AGENTS),
    "support.show": _r(REQUEST_A),
    "support.act": _r({"tech_a", "agent_x"}),
    "support.screenshot": _r(REQUEST_A),
    "documentation.index": _r(PEOPLE),
    "documentation.download": _r(PEOPLE - {"agent_y"}),
    # « Demandes à la caisse »: partner A's pending habilitation request to caisse X; an empty report
    # (no reason given) and an unknown decision are refused before anything is written.
    "account_requests.index": _r(PARTNER),
    "account_requests.file": _r(PARTNER),
    "account_requests.detail": _r({"gest_a"}),
    "account_requests.queue": _r(AGENTS),
    "account_requests.counts": _r(AGENTS),
    "account_requests.caisse_detail": _r(OWNER_A),
    "account_requests.decide": _r(OWNER_A, data={"decision": "n-importe"}.items()),
    "staff.save_data_protection": _r(CAISSE_AGENTS, caisse_admin=True, data={"email": "pas-une-adresse"}.items()),
}


# Rights through conventions in force only (tests/access_table.CONVENTION_CASES): these partner pages
# again for the world's partner C (caisse Y only), A as seen by Y (its proposal only) and D (ended).
ON_PARTNER_PAGES = ("partners.detail", "partners.habilitations", "partners.export_csv", "partners.journal",
                    "partners.edit_partner", "partners.edit_gestionnaire")


def path_values(world, throwaway: bool) -> dict:
    """What fills each path parameter name."""
    values = {"token": "jeton-invalide", "caisse_id": world.caisse_x, "message_id": world.message_x,
              "request_id": world.request_a, "attachment_id": world.attachment_a, "action": None,
              "caisse_code": "999", "kind": "document", "account_id": world.tech_a_account,
              "maintenance_id": world.maintenance_x, "partner_id": world.partner_a,
              "convention_id": world.convention_xa, "filename": "app.css", "name": "htmx.min.js",
              "report_id": world.support_a, "document_id": world.document_x,
              "account_request_id": world.account_request_a}
    if throwaway:
        values["partner_id"], values["convention_id"] = world.new_partner()
        values["maintenance_id"] = world.new_maintenance()
    return values


# Per endpoint, the value of a parameter whose meaning differs from the default.
SPECIFIC = {
    "requests_ui.act": {"action": "message"},
    "support.act": {"action": "answer"},
    "statistics.csv": {"table": "mois"},
    "account_requests.file": {"kind": "signalement"},
    "habilitations.account_action": {"action": "renvoyer-invitation"},
    "partners.account_action": {"action": "renvoyer-invitation"},
    "partners.edit_gestionnaire": {"account_id": "gest_a_account"},
    "staff.edit_agent": {"account_id": "plain_agent_x_account"},
    "supervision.service": {"name": "requests"},
    "staff.agent_action": {"account_id": "plain_agent_x_account", "action": "renvoyer-invitation"},
}
