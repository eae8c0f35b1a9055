"""The accounts service: thin nameko entrypoints over the domain modules.

Every method that acts for someone takes the caller from the signed identity
(``self.caller``); domain functions append the events to publish to ``self.events``,
an outbox (services.common.event_outbox): each event is written in the transaction
that causes it and relayed to the broker once the entrypoint returns.
"""
from nameko.timer import timer

from contracts.events import ACCOUNTS
from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, AGENTS, GESTIONNAIRE, TECHNICIEN
from services.accounts import (access, account_requests, audit, authentication, caisse_settings, change_notices,
                               conventions, directory, email_change, habilitation, passwords, reauthentication,
                               referential, second_factor, sessions, settings, staff, statistics, sweeps)
from services.accounts.models import EventOutbox, SweepRun
from services.common import event_outbox, health   # modules: `nameko run` would take a mixin for a service
from services.common import supervision, sweep_runs
from services.common.caller import Caller
from services.common.correlation import Correlation
from services.common.config import database_url, rpc_secret
from services.common.db import Database
from services.common.entrypoint import rpc
from services.common.metrics import Metrics, did, event_outbox_probe

MANAGERS = (*AGENTS, GESTIONNAIRE)         # who manages accounts: the caisse, and a partner's gestionnaire


class AccountsService(event_outbox.RelaysEvents, health.Health):
    name = ACCOUNTS

    db = Database("accounts", lambda: database_url("accounts"))
    caller = Caller(rpc_secret)
    events = event_outbox.Events(EventOutbox)
    metrics = Metrics(event_outbox_probe(EventOutbox), sessions.open_sessions_probe)
    correlation = Correlation()       # each worker's correlation id in its logs (contracts/logs.py)
    notices = change_notices.ChangeNotices()   # the web forgets stale session checks at once

    # --- plumbing ---------------------------------------------------------------------------
    def _actor(self, *profiles, allow_pending=False):
        return sessions.current(self.db, self.caller.require(*profiles, allow_pending=allow_pending))

    def _sensitive(self, *profiles, allow_pending=False):
        """Creating or inactivating accounts, enrolling an authenticator: the caller's session must hold a
        recent proof of identity."""
        actor = self._actor(*profiles, allow_pending=allow_pending)
        reauthentication.require_recent(self.db, self.caller.identity)
        return actor

    def _proved_if(self, sensitive: bool) -> None:
        """Decided on the target (its new address, why it was inactivated): a recent proof when it is sensitive."""
        if sensitive:
            reauthentication.require_recent(self.db, self.caller.identity)

    def _on_partner(self, partner_id, *profiles, sensitive=False):
        """(the caller, a partner it may see: its own when ``partner_id`` is None)."""
        actor = self._sensitive(*profiles) if sensitive else self._actor(*profiles)
        return actor, access.partner(self.db, actor, partner_id)

    def _on_account(self, account_id, *profiles, sensitive=False):
        """(the caller, an account it may act on)."""
        actor = self._sensitive(*profiles) if sensitive else self._actor(*profiles)
        return actor, access.manageable_account(self.db, actor, account_id)

    # --- anonymous: logging in and password links -----------------------------------------
    @rpc
    def authenticate(self, email, password, device="", address=""):
        """The summary with a new session: ``session_token`` for the web's cookie, ``session_id``
        for the signed identities of the calls made in it. ``address``: the client's, as the web sees
        it (a lock does not apply where the account usually signs in from)."""
        return authentication.authenticate(self.db, email, password, self.caller.secret, device, address)

    @rpc
    def authenticate_choice(self, ticket, profile):
        return authentication.authenticate_choice(self.db, ticket, profile, self.caller.secret)

    @rpc
    def authenticate_second_factor(self, ticket, code):
        """After ``SecondFactorRequired``: the ticket it carried and a TOTP or recovery code."""
        return authentication.authenticate_second_factor(self.db, ticket, code, self.caller.secret, self.events)

    @rpc
    def password_rules(self):
        return passwords.RULES

    @rpc
    def check_password(self, password, email="", first_name="", last_name=""):
        """For live feedback while typing; the same check runs again on submission."""
        return passwords.violations(str(password)[:200], str(email), (str(first_name), str(last_name)))

    @rpc
    def request_password_reset(self, email):
        """Always answers None, whether or not the email is known."""
        authentication.request_password_reset(self.db, email, self.events)

    @rpc
    def token_info(self, token):
        return authentication.token_info(self.db, token)

    @rpc
    def set_password_with_token(self, token, new_password):
        authentication.set_password_with_token(self.db, token, new_password, self.events)

    @rpc
    def renew_expired_invitation(self, token):
        authentication.renew_expired_invitation(self.db, token, self.events)

    # --- the logged-in person --------------------------------------------------------------
    @rpc
    def me(self):
        """The caller's summary, through its still open session."""
        return authentication.current_account(self.db, self.caller.require(allow_pending=True))

    @rpc
    def resume_session(self, session_token):
        """Every web request: the session its cookie names (ended, timed out, or the account
        inactivated: NotAuthenticated / AccountInactive) and the account's fresh summary."""
        return authentication.resume_session(self.db, session_token)

    @rpc
    def end_session(self):
        """Logout: the session ends here, so a copy of the cookie opens nothing afterwards."""
        sessions.log_out(self.db, self._actor(allow_pending=True), self.caller.identity["session_id"])

    @rpc
    def my_sessions(self):
        return sessions.listing(self.db, self._actor(allow_pending=True).id, self.caller.identity["session_id"])

    @rpc
    def end_other_sessions(self):
        """"Déconnecter mes autres sessions": how many ended."""
        return sessions.end_others(self.db, self._actor(allow_pending=True), self.caller.identity["session_id"])

    @rpc
    def accept_cgu(self, version):
        return authentication.accept_cgu(self.db, self._actor(allow_pending=True), version)

    @rpc
    def current_cgu_version(self):
        return settings.cgu_version()

    @rpc
    def change_password(self, current_password, new_password):
        return authentication.change_password(self.db, self._actor(allow_pending=True), current_password,
                                              new_password, self.events, keep_session=self.caller.identity["session_id"])

    # --- second factor and re-authentication (services.accounts.second_factor, .reauthentication) ---
    @rpc
    def second_factor_status(self):
        """Enrolled or not, required or not, recovery codes left, and the secret being enrolled, if any."""
        return second_factor.status(self.db, self._actor(allow_pending=True))

    @rpc
    def begin_second_factor(self):
        """Enrolling an authenticator needs a recent proof (the login is one): a stolen session must not
        enrol its own, then answer every later re-authentication with its codes."""
        return second_factor.begin(self.db, self._sensitive(allow_pending=True))

    @rpc
    def confirm_second_factor(self, code):
        """-> {"recovery_codes": the ten codes, shown once; "summary": the account's (its pending steps change)}."""
        actor = self._sensitive(allow_pending=True)
        codes = second_factor.confirm(self.db, actor, code, self.events)
        return {"recovery_codes": codes, "summary": authentication.summary(self.db, actor)}

    @rpc
    def disable_second_factor(self, code):
        return second_factor.disable(self.db, self._actor(), code, self.events)

    @rpc
    def renew_recovery_codes(self, code):
        return second_factor.renew_recovery_codes(self.db, self._actor(), code, self.events)

    @rpc
    def reset_second_factor(self, account_id):
        """A lost phone: the account's manager removes its second factor (a sensitive action)."""
        actor, target = self._on_account(account_id, *MANAGERS, sensitive=True)
        second_factor.reset(self.db, actor, target, self.events)
        return habilitation.table_row(target)

    @rpc
    def reauthenticate(self, proof):
        """The password or a second-factor code, typed again before a sensitive action."""
        return reauthentication.confirm(self.db, self._actor(), self.caller.identity, proof)

    @rpc
    def require_recent_proof(self):
        """For other services' sensitive actions (requests: erasing a person's data), asked with the
        person's own forwarded identity: ReauthenticationRequired unless its session's proof is recent."""
        self._sensitive()

    # --- caisses (national admin) -----------------------------------------------------------
    @rpc
    def list_caisses(self):
        self._actor()
        return referential.list_caisses(self.db)

    @rpc
    def caisse_for_department(self, department):
        """Routing of "contact the insured's caisse" (asked by the requests service)."""
        self._actor()
        return referential.caisse_for_department(self.db, department)

    @rpc
    def caisse_agents(self, caisse_code):
        """For other services' scheduled emails (a signed service identity only)."""
        self.caller.require("service")
        return referential.caisse_agents(self.db, caisse_code)

    @rpc
    def caisse_contacts(self, caisse_code):
        """Anyone, even anonymous: the caisse's name and local referents (the maintenance page)."""
        return directory.caisse_contacts(self.db, caisse_code)

    @rpc
    def public_directory(self):
        """Anyone, even anonymous: every caisse's name, referents and data-protection contact (public pages)."""
        return directory.public_directory(self.db)

    @rpc
    def active_users(self, caisse_code=None, after_id=0, limit=500, feature=None):
        """The notifier's maintenance notices and newsletters (a signed service identity only); with
        ``feature``, partners' users only where their convention with the caisse opens it."""
        self.caller.require("service")
        return directory.active_users(self.db, caisse_code, after_id, limit, feature)

    @rpc
    def password_expiries(self, after_id=0, limit=500):
        """The notifier's renewal reminders (a signed service identity only)."""
        self.caller.require("service")
        return directory.password_expiries(self.db, after_id, limit)

    @rpc
    def save_caisse(self, data):
        return referential.save_caisse(self.db, self._actor(ADMIN_NATIONAL), dict(data))

    # --- partners and conventions (caisse agent; proposals answered by the partner's gestionnaire) ---
    @rpc
    def list_partners(self):
        """Full records of the partners under a convention in force; proposals, refused and ended
        conventions of the agent's caisse: the partner's name and the status only (``limited``)."""
        return referential.list_partners(self.db, self._actor(*AGENTS))

    @rpc
    def active_accounts_by_partner(self):
        """Statistics (issue 18): active gestionnaires and techniciens of each partner the caller sees."""
        return statistics.active_accounts(self.db, self._actor(*AGENTS))

    @rpc
    def get_partner(self, partner_id):
        actor, partner = self._on_partner(partner_id, *AGENTS)
        return referential.partner_row(self.db, partner, actor.caisse_id)

    @rpc
    def register_partner(self, data):
        """A known SIRET: a convention proposal, answered with the name and status only."""
        return referential.register_partner(self.db, self._actor(AGENT_CAISSE), dict(data), self.events)

    @rpc
    def update_partner(self, partner_id, data):
        return referential.update_partner(self.db, *self._on_partner(partner_id, *AGENTS), dict(data))

    @rpc
    def set_convention_features(self, convention_id, features):
        return conventions.set_features(self.db, self._actor(*AGENTS), convention_id, list(features))

    @rpc
    def update_convention(self, convention_id, data):
        """End date, tacit renewal, notice, the partner's referent for the convention."""
        return conventions.update_convention(self.db, self._actor(*AGENTS), convention_id, dict(data))

    @rpc
    def end_convention(self, convention_id):
        conventions.end_convention(self.db, self._actor(*AGENTS), convention_id, self.events)

    @rpc
    def suspend_partner(self, partner_id, suspended):
        """An agent: the partner's access to its caisse; the national admin: to every caisse."""
        actor, partner = self._on_partner(partner_id, *AGENTS)
        conventions.set_suspended(self.db, actor, partner, bool(suspended), self.events)
        return referential.partner_row(self.db, partner, actor.caisse_id)

    @rpc
    def my_conventions(self):
        """The gestionnaire's structure's conventions, proposals first."""
        return conventions.partner_conventions(self.db, self._actor(GESTIONNAIRE))

    @rpc
    def answer_convention_proposal(self, convention_id, accept):
        return conventions.answer_proposal(self.db, self._actor(GESTIONNAIRE), convention_id, bool(accept),
                                           self.events)

    # --- habilitation -----------------------------------------------------------------------
    @rpc
    def create_gestionnaire(self, partner_id, data):
        return habilitation.create_account(self.db, *self._on_partner(partner_id, *AGENTS, sensitive=True),
                                           GESTIONNAIRE, dict(data), self.events)

    @rpc
    def create_technicien(self, data):
        return habilitation.create_account(self.db, *self._on_partner(None, GESTIONNAIRE, sensitive=True),
                                           TECHNICIEN, dict(data), self.events)

    @rpc
    def edit_gestionnaire(self, account_id, data):
        """A new address needs a recent proof (services.accounts.email_change: a takeover path otherwise)."""
        actor, target = self._on_account(account_id, *AGENTS)
        self._proved_if(email_change.changes(target, data))
        return habilitation.edit_gestionnaire(self.db, actor, target, dict(data), self.events)

    @rpc
    def resend_invitation(self, account_id):
        habilitation.resend_invitation(self.db, *self._on_account(account_id, *MANAGERS), self.events)

    @rpc
    def pending_invitations(self):
        return habilitation.pending_invitations(self.db, access.visible_partner_ids(self.db, self._actor(*MANAGERS)))

    @rpc
    def inactivate_account(self, account_id, reason):
        return habilitation.inactivate(self.db, *self._on_account(account_id, *MANAGERS, sensitive=True), reason,
                                       self.events)

    @rpc
    def reactivate_account(self, account_id):
        """Lifting an inactivation for fraud, loss or theft needs a recent proof."""
        actor, target = self._on_account(account_id, *MANAGERS)
        self._proved_if(habilitation.fraud_inactivated(target))
        return habilitation.reactivate(self.db, actor, target)

    @rpc
    def habilitation_table(self, partner_id=None):
        return habilitation.table(self.db, self._on_partner(partner_id, *MANAGERS)[1])

    @rpc
    def habilitation_csv(self, partner_id=None):
        return habilitation.table_csv(self.db, self._on_partner(partner_id, *MANAGERS)[1])

    @rpc
    def request_review(self, partner_id):
        actor, partner = self._on_partner(partner_id, AGENT_CAISSE)
        return habilitation.request_review(self.db, actor, partner, actor.caisse_id, self.events)

    @rpc
    def confirm_review(self):
        return habilitation.confirm_review(self.db, self._actor(GESTIONNAIRE))

    @rpc
    def audit_log(self, partner_id=None, limit=200):
        return audit.log(self.db, self._actor(*AGENTS), partner_id, limit)

    # --- « Demandes à la caisse » (services.accounts.account_requests) --------------------------
    @rpc
    def file_account_request(self, kind, data):
        """A gestionnaire: habilitation, departure, correction, report; a technicien: a report of its own account."""
        return account_requests.file(self.db, self._actor(GESTIONNAIRE, TECHNICIEN), str(kind), dict(data),
                                     self.events)

    @rpc
    def my_account_requests(self):
        return account_requests.for_partner(self.db, self._actor(GESTIONNAIRE, TECHNICIEN))

    @rpc
    def account_request(self, request_id):
        """One request with its timeline: its structure's (a technicien: its own reports), its caisse's queue."""
        return account_requests.detail(self.db, self._actor(GESTIONNAIRE, TECHNICIEN, *AGENTS), request_id)

    @rpc
    def account_request_queue(self):
        return account_requests.queue(self.db, self._actor(*AGENTS))

    @rpc
    def account_request_counts(self):
        """The agent's home page: pending, overdue, reports."""
        return account_requests.counts(self.db, self._actor(*AGENTS))

    @rpc
    def decide_account_request(self, request_id, decision, reason=""):
        """Authorised first; creating, inactivating an account or changing an email then wants a recent proof."""
        actor = self._actor(*AGENTS)
        found = account_requests.visible(self.db, actor, request_id)
        if account_requests.needs_proof(found, str(decision)):
            reauthentication.require_recent(self.db, self.caller.identity)
        return account_requests.decide(self.db, actor, found, str(decision), str(reason or ""), self.events)

    # --- caisse staff and settings (services.accounts.staff, .caisse_settings) --------------
    def _staff_manager(self, find, key, sensitive=False):
        """(the caller, what ``find`` gives it: a caisse whose staff it manages, or one of its agents);
        authorised first, then a sensitive action wants a recent proof of identity."""
        actor = self._actor(*AGENTS)
        found = find(self.db, actor, key)
        if sensitive:
            reauthentication.require_recent(self.db, self.caller.identity)
        return actor, found

    def _staff(self, caisse_code=None, sensitive=False):
        """An administrateur de caisse's own caisse, any caisse for the national admin."""
        return self._staff_manager(staff.caisse_of, caisse_code, sensitive)

    def _on_agent(self, account_id, sensitive=False):
        return self._staff_manager(staff.agent_of, account_id, sensitive)

    @rpc
    def list_caisse_agents(self, caisse_code=None):
        return staff.listing(self.db, self._staff(caisse_code)[1])

    @rpc
    def create_caisse_agent(self, data, caisse_code=None):
        """An agent of the administrateur's caisse; the national admin names the caisse (its first agent)."""
        return staff.create(self.db, *self._staff(caisse_code, sensitive=True), dict(data), self.events)

    @rpc
    def edit_caisse_agent(self, account_id, data):
        actor, target = self._on_agent(account_id)
        self._proved_if(email_change.changes(target, data))
        return staff.edit(self.db, actor, target, dict(data), self.events)

    @rpc
    def set_caisse_admin(self, account_id, granted):
        return staff.set_admin(self.db, *self._on_agent(account_id, sensitive=True), bool(granted))

    @rpc
    def inactivate_caisse_agent(self, account_id, reason):
        return staff.inactivate(self.db, *self._on_agent(account_id, sensitive=True), reason, self.events)

    @rpc
    def reactivate_caisse_agent(self, account_id):
        actor, target = self._on_agent(account_id)
        self._proved_if(habilitation.fraud_inactivated(target))
        return staff.reactivate(self.db, actor, target)

    @rpc
    def resend_agent_invitation(self, account_id):
        habilitation.resend_invitation(self.db, *self._on_agent(account_id), self.events)

    @rpc
    def caisse_settings(self, caisse_code=None):
        return caisse_settings.settings_row(self._staff(caisse_code)[1])

    @rpc
    def save_caisse_rules(self, data):
        """Technicien inactivity and caps, second factor of gestionnaires: the administrateur's own caisse."""
        actor, _caisse = self._staff(sensitive=True)
        return caisse_settings.save_rules(self.db, actor, dict(data))

    @rpc
    def save_caisse_referents(self, referents):
        return caisse_settings.save_referents(self.db, *self._staff(), referents)

    @rpc
    def save_caisse_data_protection(self, data):
        """The caisse's data-protection contact (« Données personnelles »): its administrateur."""
        return caisse_settings.save_data_protection(self.db, *self._staff(), dict(data or {}))

    # --- scheduled sweeps -------------------------------------------------------------------
    @timer(interval=settings.sweep_interval_seconds())
    @sweep_runs.recorded(SweepRun, "sweep")
    def sweep(self):
        for step in (sweeps.warn_inactive_techniciens, sweeps.inactivate_inactive_techniciens,
                     conventions.renew_or_end, conventions.warn_coming_ends, sweeps.periodic_reviews,
                     account_requests.departures_due, sweeps.purge_inactivated,
                     sessions.purge_ended):
            did(self.name, step.__name__, step(self.db, self.events))     # each step commits its own work…
            self.events.publish()           # …and its emails leave right after

    # --- supervision ------------------------------------------------------------------------
    @rpc
    def supervision(self):
        """The supervision screen (national admin, caisse agents): this service's events and sweeps, global."""
        self._actor(*AGENTS)
        return supervision.report(self.db, self.name, SweepRun, sweeps.SWEEPS, EventOutbox)
