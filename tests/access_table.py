"""Who may call what: every RPC method of every service, one row each.

A row: the profiles allowed, and the arguments (built from the world's objects, owned by
caisse X and partner A, so ownership is part of the table: agent Y and partner B are refused
them). ``throwaway``: the allowed calls get fresh objects because they change what they touch.
Arguments are chosen so an allowed call passes the access check and then stops on a business
rule where it would otherwise write (empty forms, already-active accounts, a bad reason).
"""
from dataclasses import dataclass, field
from typing import Callable

PEOPLE = frozenset({"admin", "agent_x", "agent_y", "gest_a", "tech_a", "gest_b", "tech_b"})
# Agents X and Y are administrateurs de caisse; the plain agent of X is allowed what agent X is, but
# the rows marked ``caisse_admin`` (the caisse's staff and settings).
PLAIN_AGENT, LIKE_PLAIN = "plain_agent_x", "agent_x"
EVERYONE = PEOPLE | {"inactive", "anonymous", "service"}
AGENTS = frozenset({"admin", "agent_x", "agent_y"})
CAISSE_AGENTS = frozenset({"agent_x", "agent_y"})
PARTNER = frozenset({"gest_a", "tech_a", "gest_b", "tech_b"})
TECHNICIENS = frozenset({"tech_a", "tech_b"})
SERVICE = frozenset({"service"})
# requests and notifier do not check the server-side session themselves (SECURITY.md, known limits):
# the web resumes it at every request and the signed identity lives two minutes. An identity signed
# for an account since inactivated is therefore judged on its profile there (the inactive profile is
# a technicien of partner B); accounts refuses it. The web matrix proves the web never signs one.
TRUSTS_WEB_FOR_SESSIONS = {"requests", "notifier"}
INACTIVE_IS_LIKE = "tech_b"


@dataclass(frozen=True)
class Row:
    allowed: frozenset
    args: Callable = lambda w: ()
    throwaway: Callable | None = None      # (world) -> args for an allowed call
    fresh_session: bool = False            # the allowed call ends its session: make it from another one
    notes: str = field(default="")
    caisse_admin: bool = False             # among the caisse's agents, its administrateurs only
    service_name: str = "notifier"         # the service identity that calls it (« service » above)


def _row(allowed, args=None, **kw):
    return Row(frozenset(allowed), args or (lambda w: ()), **kw)


BOGUS = "jeton-invalide"

ACCOUNTS = {
    "health": _row(EVERYONE),
    "supervision": _row(AGENTS),          # the national admin: every caisse; an agent: theirs
    "authenticate": _row(EVERYONE, lambda w: ("personne@inconnu.test", "Mauvais-Mot-2026!")),
    "authenticate_choice": _row(EVERYONE, lambda w: (BOGUS, "technicien")),
    "password_rules": _row(EVERYONE),
    "check_password": _row(EVERYONE, lambda w: ("court",)),
    "request_password_reset": _row(EVERYONE, lambda w: ("personne@inconnu.test",)),
    "token_info": _row(EVERYONE, lambda w: (BOGUS,)),
    "set_password_with_token": _row(EVERYONE, lambda w: (BOGUS, "Nouveau-Solide-2026!")),
    "renew_expired_invitation": _row(EVERYONE, lambda w: (BOGUS,)),
    "resume_session": _row(EVERYONE, lambda w: (w.summaries["admin"]["session_token"],),
                           notes="the session token is the authority; the web calls it anonymously"),
    "current_cgu_version": _row(EVERYONE),
    "caisse_contacts": _row(EVERYONE, lambda w: ("999",)),
    "public_directory": _row(EVERYONE),
    "me": _row(PEOPLE),
    "end_session": _row(PEOPLE, fresh_session=True),
    "my_sessions": _row(PEOPLE),
    "end_other_sessions": _row(PEOPLE),
    "accept_cgu": _row(PEOPLE, lambda w: (w.cgu_version,)),
    "change_password": _row(PEOPLE, lambda w: ("Pas-le-bon-2026!", "court")),
    "list_caisses": _row(PEOPLE),
    "caisse_for_department": _row(PEOPLE, lambda w: ("60",)),
    "caisse_agents": _row(SERVICE, lambda w: ("999",)),
    "active_users": _row(SERVICE, lambda w: ("999", 0, 1)),
    "password_expiries": _row(SERVICE, lambda w: (0, 1)),
    "save_caisse": _row({"admin"}, lambda w: ({},)),
    "list_partners": _row(AGENTS),
    "active_accounts_by_partner": _row(AGENTS),
    "get_partner": _row({"admin", "agent_x"}, lambda w: (w.partner_a,)),
    "register_partner": _row(CAISSE_AGENTS, lambda w: ({},)),
    "update_partner": _row({"admin", "agent_x"}, lambda w: (w.partner_a, {})),
    "set_convention_features": _row({"admin", "agent_x"}, lambda w: (w.convention_xa, w.features_xa)),
    "end_convention": _row({"admin", "agent_x"}, lambda w: (w.convention_xa,),
                           throwaway=lambda w: (w.new_partner()[1],)),
    "suspend_partner": _row({"admin", "agent_x"}, lambda w: (w.partner_a, True),
                            throwaway=lambda w: (w.new_partner()[0], True)),
    "update_convention": _row({"admin", "agent_x"}, lambda w: (w.convention_xa, {})),
    "my_conventions": _row({"gest_a", "gest_b"}),
    # An answered convention of A: its gestionnaire passes the check and meets "already answered".
    "answer_convention_proposal": _row({"gest_a"}, lambda w: (w.convention_xa, True)),
    "create_gestionnaire": _row({"admin", "agent_x"}, lambda w: (w.partner_a, {})),
    "create_technicien": _row({"gest_a", "gest_b"}, lambda w: ({},)),
    "edit_gestionnaire": _row({"admin", "agent_x"}, lambda w: (w.gest_a_account, {})),
    "resend_invitation": _row({"admin", "agent_x", "gest_a"}, lambda w: (w.tech_a_account,)),
    "pending_invitations": _row(AGENTS | {"gest_a", "gest_b"}),
    "inactivate_account": _row({"admin", "agent_x", "gest_a"}, lambda w: (w.tech_a_account, "pas-un-motif")),
    "reactivate_account": _row({"admin", "agent_x", "gest_a"}, lambda w: (w.tech_a_account,)),
    "habilitation_table": _row({"admin", "agent_x", "gest_a"}, lambda w: (w.partner_a,)),
    "habilitation_csv": _row({"admin", "agent_x", "gest_a"}, lambda w: (w.partner_a,)),
    "request_review": _row({"agent_x"}, lambda w: (w.partner_a,), throwaway=lambda w: (w.new_partner()[0],)),
    "confirm_review": _row({"gest_a", "gest_b"}),
    "audit_log": _row({"admin", "agent_x"}, lambda w: (w.partner_a, 5)),
    # Second factor: arguments that stop before a code is checked where they can (no throttling of
    # the demo accounts), a wrong code or proof otherwise (one failure, within the free ones).
    "authenticate_second_factor": _row(EVERYONE, lambda w: (BOGUS, "000000"), throwaway=lambda w: w.code_step()),
    "second_factor_status": _row(PEOPLE),
    "begin_second_factor": _row(PEOPLE),
    "confirm_second_factor": _row(PEOPLE, lambda w: ("000000",)),
    "disable_second_factor": _row(PEOPLE, lambda w: ("000000",)),
    "renew_recovery_codes": _row(PEOPLE, lambda w: ("000000",)),
    "reset_second_factor": _row({"admin", "agent_x", "gest_a"}, lambda w: (w.tech_a_account,)),
    "reauthenticate": _row(PEOPLE, lambda w: ("mauvaise-preuve",)),
    "require_recent_proof": _row(PEOPLE),
    # The caisse's staff and settings: caisse X's, through its administrateur (and the national admin);
    # each call stops on a rule (bad form, already active, not an administrateur) before writing.
    "list_caisse_agents": _row({"admin", "agent_x"}, lambda w: ("999",), caisse_admin=True),
    "create_caisse_agent": _row({"admin", "agent_x"}, lambda w: ({}, "999"), caisse_admin=True),
    "edit_caisse_agent": _row({"admin", "agent_x"}, lambda w: (w.plain_agent_x_account, {"email": "x"}),
                              caisse_admin=True),
    "set_caisse_admin": _row({"admin", "agent_x"}, lambda w: (w.plain_agent_x_account, False), caisse_admin=True),
    "inactivate_caisse_agent": _row({"admin", "agent_x"}, lambda w: (w.plain_agent_x_account, "pas-un-motif"),
                                    caisse_admin=True),
    "reactivate_caisse_agent": _row({"admin", "agent_x"}, lambda w: (w.plain_agent_x_account,), caisse_admin=True),
    "resend_agent_invitation": _row({"admin", "agent_x"}, lambda w: (w.plain_agent_x_account,), caisse_admin=True),
    "caisse_settings": _row({"admin", "agent_x"}, lambda w: ("999",), caisse_admin=True),
    "save_caisse_rules": _row(CAISSE_AGENTS, lambda w: ({"technicien_inactivity": "on",
                                                         "technicien_inactivity_days": "x"},), caisse_admin=True),
    "save_caisse_referents": _row(CAISSE_AGENTS, lambda w: ([{"kind": "?"}],), caisse_admin=True),
    # « Demandes à la caisse »: a pending habilitation request of partner A to caisse X; an unknown kind or
    # decision stops the allowed calls before anything is written.
    "file_account_request": _row(PARTNER, lambda w: ("inconnu", {})),
    "my_account_requests": _row(PARTNER),
    "account_request": _row({"admin", "agent_x", "gest_a"}, lambda w: (w.account_request_a,)),
    "account_request_queue": _row(AGENTS),
    "account_request_counts": _row(AGENTS),
    "decide_account_request": _row({"admin", "agent_x"}, lambda w: (w.account_request_a, "n-importe", "")),
    "save_caisse_data_protection": _row(CAISSE_AGENTS, lambda w: ({"email": "?"},), caisse_admin=True),
}

# Rights through conventions in force only (issue 14): each partner-scoped method again on three
# more cases of the world (tests/access_world._conventions_world), (partner, one of its gestionnaires):
# C, with caisse Y only; A, to which caisse Y only proposed a convention; D, whose convention with X
# ended. Who passes the access check, whatever the profile.
CONVENTION_CASES = {"partner_c": frozenset({"admin", "agent_y"}), "proposal_ya": frozenset({"admin", "agent_x"}),
                    "ended_xd": frozenset({"admin"})}
OWN_GESTIONNAIRE = {"proposal_ya": "gest_a"}                  # reads its own structure's table
OWN_READS = {"habilitation_table", "habilitation_csv"}
ON_PARTNER = {       # method -> args from (partner id, gestionnaire account id)
    "get_partner": lambda p, g: (p,),
    "habilitation_table": lambda p, g: (p,),
    "habilitation_csv": lambda p, g: (p,),
    "audit_log": lambda p, g: (p, 5),
    "update_partner": lambda p, g: (p, {}),
    "create_gestionnaire": lambda p, g: (p, {}),
    "edit_gestionnaire": lambda p, g: (g, {}),
    "inactivate_account": lambda p, g: (g, "pas-un-motif"),
    "reactivate_account": lambda p, g: (g,),
}

def convention_case_allowed(case: str, method: str, profile: str) -> bool:
    return profile in CONVENTION_CASES[case] or (method in OWN_READS and OWN_GESTIONNAIRE.get(case) == profile)


REQUESTS = {
    "health": _row(EVERYONE),
    "supervision": _row(AGENTS),          # the national admin: every caisse; an agent: theirs
    "form_catalogue": _row(EVERYONE),
    "check_field": _row(PARTNER | CAISSE_AGENTS, lambda w: ("document", "comment", "x")),
    "submit": _row(TECHNICIENS, lambda w: ("document", "999", {})),
    "recent_for_my_partner": _row(PARTNER),
    "search": _row(PARTNER | CAISSE_AGENTS),
    "get": _row({"tech_a", "gest_a", "agent_x"}, lambda w: (w.request_a,)),
    "act": _row({"tech_a", "agent_x"}, lambda w: (w.request_a, "message", "")),
    "download": _row({"tech_a", "gest_a", "agent_x"}, lambda w: (w.request_a, w.attachment_a)),
    "my_notification_preferences": _row(TECHNICIENS),
    "set_my_notification_preferences": _row(TECHNICIENS, lambda w: (True, True)),
    "caisse_overview": _row(CAISSE_AGENTS),
    "request_form": _row(TECHNICIENS, lambda w: ("document", "999")),
    # The web's own service identity only ("service": "web"; the notifier's is refused:
    # services/requests/tests/test_drafts.py), end to end in tests/test_web_drafts.py.
    "keep_draft": _row(SERVICE, lambda w: (1, "document", "999", {}), service_name="web"),
    "take_my_draft": _row(TECHNICIENS, lambda w: ("document", "999")),
    # The caisse's administrateur (identity["caisse_admin"]; none in the table's world yet) and the national admin.
    "request_settings": _row({"admin", "agent_x"}, lambda w: ("999",), caisse_admin=True),
    "save_request_settings": _row({"admin", "agent_x"}, lambda w: ({}, "999"), caisse_admin=True),
    "personal_data_find": _row(CAISSE_AGENTS, lambda w: ({},)),
    "personal_data_export": _row(CAISSE_AGENTS, lambda w: ({},)),
    "personal_data_erase": _row(CAISSE_AGENTS, lambda w: ({},)),
    # Support reports (issue 15, point 3): support_a is tech_a's report to caisse X, with a screenshot; an empty
    # form or message stops each allowed call before it writes.
    "support_form": _row(PEOPLE),
    "file_support_report": _row(PEOPLE, lambda w: ({},)),
    "my_support_reports": _row(PEOPLE),
    "support_queue": _row(AGENTS),
    "support_report": _row({"tech_a", "gest_a", "agent_x"}, lambda w: (w.support_a,)),
    "act_on_support_report": _row({"tech_a", "agent_x"}, lambda w: (w.support_a, "answer", "")),
    "support_screenshot": _row({"tech_a", "gest_a", "agent_x"}, lambda w: (w.support_a,)),
    # The documentation (issue 15, point 4): document_x is caisse X's, read by its agents and partners.
    "documents": _row(PEOPLE),
    "publish_document": _row(AGENTS, lambda w: ({},), caisse_admin=True),
    "download_document": _row(PEOPLE - {"agent_y"}, lambda w: (w.document_x,)),
    # Statistics and exports (issue 18): each agent its caisse's figures and queue, the national admin every
    # caisse's figures; request A's archive: caisse X's agents and the national admin only.
    "request_statistics": _row(AGENTS, lambda w: (12,)),
    "export_queue": _row(CAISSE_AGENTS, lambda w: ({},)),
    "request_archive": _row({"admin", "agent_x"}, lambda w: (w.request_a,)),
}

NOTIFIER = {
    "health": _row(EVERYONE),
    "supervision": _row(AGENTS),          # the national admin: every caisse; an agent: theirs
    "current_maintenance": _row(EVERYONE, lambda w: ("999",)),
    "unsubscribe_by_token": _row(EVERYONE, lambda w: (BOGUS,)),
    "delivery_log": _row(AGENTS),
    "resend": _row({"admin", "agent_x"}, lambda w: (w.message_x,)),
    "schedule_maintenance": _row(AGENTS, lambda w: ({},)),
    "update_maintenance": _row({"admin", "agent_x"}, lambda w: (w.maintenance_x, {})),
    "cancel_maintenance": _row({"admin", "agent_x"}, lambda w: (w.maintenance_x,),
                               throwaway=lambda w: (w.new_maintenance(),)),
    "list_maintenances": _row(AGENTS),
    "publish_news": _row(CAISSE_AGENTS, lambda w: ({},)),
    "list_news": _row(PEOPLE),
    "my_newsletter_subscriptions": _row(PARTNER),
    "set_newsletter_subscription": _row(PARTNER, lambda w: ("999", False)),
}

TABLE = {"accounts": ACCOUNTS, "requests": REQUESTS, "notifier": NOTIFIER}


def expected_allowed(service: str, row: Row, profile: str) -> bool:
    if profile == "inactive" and service in TRUSTS_WEB_FOR_SESSIONS:
        return INACTIVE_IS_LIKE in row.allowed
    if profile == PLAIN_AGENT:
        return LIKE_PLAIN in row.allowed and not row.caisse_admin
    return profile in row.allowed
