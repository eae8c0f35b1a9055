"""The account actions of a habilitation table, shared by the caisse's partner page
(views/partners.py) and the gestionnaire's screen (views/habilitations.py): one table
template for both (``templates/habilitations/_table.html``), whose actions depend on the
viewer's profile; the accounts service re-checks every one of them."""
from flask import Response

from contracts.catalogue import AGENT_INACTIVATION_REASONS, IMMEDIATE_REASONS, INACTIVATION_REASONS, REPORTED
from services.web import rpc
from services.web.toolkit import attempt, outcome_or_back

# The reasons a caisse agent may choose; a gestionnaire's is always this one.
GESTIONNAIRE_REASON = "gestionnaire"
AGENT_REASONS = [(code, INACTIVATION_REASONS[code].capitalize()) for code in AGENT_INACTIVATION_REASONS]
# The row actions, as they appear in URLs -> accounts RPC method.
ACCOUNT_ACTIONS = {"inactiver": "inactivate_account", "reactiver": "reactivate_account",
                   "renvoyer-invitation": "resend_invitation",
                   "reinitialiser-double-authentification": "reset_second_factor"}
ACTION_SEGMENT = "<any(inactiver, reactiver, 'renvoyer-invitation', 'reinitialiser-double-authentification'):action>"
RESENT = "Un nouveau lien d'activation vient d'être envoyé par courriel."
# What the table template needs beyond its rows.
TEMPLATE_GLOBALS = {"agent_inactivation_reasons": AGENT_REASONS, "caisse_only_reactivation": IMMEDIATE_REASONS,
                    "reported_reason": REPORTED}     # decided on the report (« Demandes des partenaires ») only

# What each action says once done ({fields}: the account as accounts answers it).
NOTICES = {"inactiver": "Le compte de {first_name} {last_name} est inactivé.",
           "reactiver": "Le compte de {first_name} {last_name} est réactivé.",
           "reinitialiser-double-authentification": "La double authentification de {first_name} {last_name} est "
                                                    "réinitialisée : la personne en est prévenue par courriel.",
           "renvoyer-invitation": RESENT}


def act_on_account(action: str, account_id: int, reason: str | None, load_table, page_url: str):
    """The row action; HTMX gets the refreshed table (caps included) with the outcome, a plain
    form goes back to ``page_url`` with it."""
    args = (account_id, reason or "") if action == "inactiver" else (account_id,)
    notice, error = attempt(lambda: rpc.call("accounts", ACCOUNT_ACTIONS[action], *args),
                            lambda row: NOTICES[action].format_map(row or {}))
    return outcome_or_back("habilitations/_table.html", page_url, notice, error, lambda: {"table": load_table()})


def csv_response(text: str, partner_id) -> Response:
    return Response(text, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="habilitations-{partner_id}.csv"'})


def pending_review(table: dict) -> dict | None:
    return next((r for r in table.get("reviews", []) if r["confirmed_at"] is None), None)
