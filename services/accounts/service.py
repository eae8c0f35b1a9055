"""The accounts service: thin nameko entrypoints over the domain modules.

Every method that acts for someone takes the caller from the signed identity
(``self.caller``); domain functions collect the events to publish, sent once
their transaction has committed: ``emitted`` is an outbox (services.common.event_outbox),
so each event is written in the same transaction and relayed to the broker after it.
"""
import sqlalchemy as sa
from nameko.timer import timer

from contracts import events
from contracts.errors import EXPECTED
from services.accounts import (access, audit, authentication, directory, habilitation, passwords,
                               reauthentication, referential, second_factor, sessions, settings, sweeps)
from services.accounts.models import EventOutbox
from services.common.caller import Caller
from services.common.config import database_url, instance_id, rpc_secret
from services.common.db import Database
from services.common.entrypoint import rpc
from services.common.event_outbox import Emit, EventRelay

AGENTS = ("agent_caisse", "admin_national")
PARTNER_USERS = ("gestionnaire", "technicien")


class AccountsService:
    name = events.ACCOUNTS

    db = Database("accounts", lambda: database_url("accounts"))
    caller = Caller(rpc_secret)
    relay = EventRelay(EventOutbox)

    # --- plumbing ---------------------------------------------------------------------------
    def _actor(self, *profiles, allow_pending=False):
        return access.current(self.db, self.caller.require(*profiles, allow_pending=allow_pending))

    def _sensitive(self, *profiles):
        """Creating or inactivating accounts: the caller's session must hold a recent proof of identity."""
        actor = self._actor(*profiles)
        reauthentication.require_recent(self.db, self.caller.identity)
        return actor

    def _emit(self) -> Emit:
        return Emit(self.db, EventOutbox)

    def _publish(self, emitted):
        self.relay.send(self.db, emitted)

    @timer(interval=1)
    def relay_events(self):
        """What the RPC that emitted could not publish (broker away, no consumer queue yet, crash)."""
        self.relay.send(self.db)

    @rpc
    def health(self):
        self.db.execute(sa.text("SELECT 1"))
        return {"service": self.name, "status": "ok", "database": self.db.bind.dialect.name,
                "instance": instance_id()}

    # --- anonymous: logging in and password links -----------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def authenticate(self, email, password, device=""):
        """The summary with a new session: ``session_token`` for the web's cookie, ``session_id``
        for the signed identities of the calls made in it."""
        return authentication.authenticate(self.db, email, password, self.caller.secret, device)

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_choice(self, ticket, profile):
        return authentication.authenticate_choice(self.db, ticket, profile, self.caller.secret)

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_second_factor(self, ticket, code):
        """After ``SecondFactorRequired``: the ticket it carried and a TOTP or recovery code."""
        emitted = self._emit()
        result = authentication.authenticate_second_factor(self.db, ticket, code, self.caller.secret, emitted)
        self._publish(emitted)
        return result

    @rpc
    def password_rules(self):
        return passwords.RULES

    @rpc
    def check_password(self, password, email="", first_name="", last_name=""):
        """For live feedback while typing; the same check runs again on submission."""
        return passwords.violations(str(password)[:200], str(email), (str(first_name), str(last_name)))

    @rpc(expected_exceptions=EXPECTED)
    def request_password_reset(self, email):
        """Always answers None, whether or not the email is known."""
        emitted = self._emit()
        authentication.request_password_reset(self.db, email, emitted)
        self._publish(emitted)

    @rpc(expected_exceptions=EXPECTED)
    def token_info(self, token):
        return authentication.token_info(self.db, token)

    @rpc(expected_exceptions=EXPECTED)
    def set_password_with_token(self, token, new_password):
        emitted = self._emit()
        authentication.set_password_with_token(self.db, token, new_password, emitted)
        self._publish(emitted)

    @rpc(expected_exceptions=EXPECTED)
    def renew_expired_invitation(self, token):
        emitted = self._emit()
        authentication.renew_expired_invitation(self.db, token, emitted)
        self._publish(emitted)

    # --- the logged-in person --------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def me(self):
        """The caller's summary, through its still open session."""
        return authentication.current_account(self.db, self.caller.require(allow_pending=True))

    @rpc(expected_exceptions=EXPECTED)
    def resume_session(self, session_token):
        """Every web request: the session its cookie names (ended, timed out, or the account
        inactivated: NotAuthenticated / AccountInactive) and the account's fresh summary."""
        return authentication.resume_session(self.db, session_token)

    @rpc(expected_exceptions=EXPECTED)
    def end_session(self):
        """Logout: the session ends here, so a copy of the cookie opens nothing afterwards."""
        actor = self._actor(allow_pending=True)
        sessions.end(self.db, self.db.get(sessions.UserSession, self.caller.identity["session_id"]), "logout")
        audit.record(self.db, "logout", actor=actor, target=actor)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def my_sessions(self):
        return sessions.listing(self.db, self._actor(allow_pending=True).id, self.caller.identity["session_id"])

    @rpc(expected_exceptions=EXPECTED)
    def end_other_sessions(self):
        """"Déconnecter mes autres sessions": how many ended."""
        actor = self._actor(allow_pending=True)
        ended = sessions.end_all(self.db, actor.id, "others", keep=self.caller.identity["session_id"])
        audit.record(self.db, "other_sessions_ended", actor=actor, target=actor, details=f"{ended} session(s)")
        self.db.commit()
        return ended

    @rpc(expected_exceptions=EXPECTED)
    def accept_cgu(self, version):
        return authentication.accept_cgu(self.db, self._actor(allow_pending=True), version)

    @rpc(expected_exceptions=EXPECTED)
    def current_cgu_version(self):
        return settings.cgu_version()

    @rpc(expected_exceptions=EXPECTED)
    def change_password(self, current_password, new_password):
        emitted = self._emit()
        result = authentication.change_password(self.db, self._actor(allow_pending=True), current_password,
                                                new_password, emitted, keep_session=self.caller.identity["session_id"])
        self._publish(emitted)
        return result

    # --- second factor and re-authentication (services.accounts.second_factor, .reauthentication) ---
    @rpc(expected_exceptions=EXPECTED)
    def second_factor_status(self):
        """Enrolled or not, required or not, recovery codes left, and the secret being enrolled, if any."""
        return second_factor.status(self.db, self._actor(allow_pending=True))

    @rpc(expected_exceptions=EXPECTED)
    def begin_second_factor(self):
        return second_factor.begin(self.db, self._actor(allow_pending=True))

    @rpc(expected_exceptions=EXPECTED)
    def confirm_second_factor(self, code):
        """-> {"recovery_codes": the ten codes, shown once; "summary": the account's (its pending steps change)}."""
        actor, emitted = self._actor(allow_pending=True), self._emit()
        codes = second_factor.confirm(self.db, actor, code, emitted)
        self._publish(emitted)
        return {"recovery_codes": codes, "summary": authentication.summary(self.db, actor)}

    @rpc(expected_exceptions=EXPECTED)
    def disable_second_factor(self, code):
        emitted = self._emit()
        result = second_factor.disable(self.db, self._actor(), code, emitted)
        self._publish(emitted)
        return result

    @rpc(expected_exceptions=EXPECTED)
    def renew_recovery_codes(self, code):
        emitted = self._emit()
        codes = second_factor.renew_recovery_codes(self.db, self._actor(), code, emitted)
        self._publish(emitted)
        return codes

    @rpc(expected_exceptions=EXPECTED)
    def reset_second_factor(self, account_id):
        """A lost phone: the account's manager removes its second factor (a sensitive action)."""
        actor, emitted = self._sensitive(*AGENTS, "gestionnaire"), self._emit()
        target = access.manageable_account(self.db, actor, account_id)
        second_factor.reset(self.db, actor, target, emitted)
        self._publish(emitted)
        return habilitation.table_row(target)

    @rpc(expected_exceptions=EXPECTED)
    def set_partners_second_factor(self, required):
        """The caisse agent requires (or not) the second factor of its partners' gestionnaires."""
        return second_factor.set_partners_requirement(self.db, self._actor("agent_caisse"), bool(required))

    @rpc(expected_exceptions=EXPECTED)
    def reauthenticate(self, proof):
        """The password or a second-factor code, typed again before a sensitive action."""
        return reauthentication.confirm(self.db, self._actor(), self.caller.identity, proof)

    # --- caisses (national admin) -----------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def list_caisses(self):
        self._actor()
        return referential.list_caisses(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def caisse_for_department(self, department):
        """Routing of "contact the insured's caisse" (asked by the requests service)."""
        self._actor()
        return referential.caisse_for_department(self.db, department)

    @rpc(expected_exceptions=EXPECTED)
    def caisse_agents(self, caisse_code):
        """For other services' scheduled emails (a signed service identity only)."""
        self.caller.require("service")
        return referential.caisse_agents(self.db, caisse_code)

    @rpc(expected_exceptions=EXPECTED)
    def caisse_contacts(self, caisse_code):
        """Anyone, even anonymous: the caisse's name and local referents (the maintenance page)."""
        return directory.caisse_contacts(self.db, caisse_code)

    @rpc(expected_exceptions=EXPECTED)
    def active_users(self, caisse_code=None, after_id=0, limit=500):
        """The notifier's maintenance notices and newsletters (a signed service identity only)."""
        self.caller.require("service")
        return directory.active_users(self.db, caisse_code, after_id, limit)

    @rpc(expected_exceptions=EXPECTED)
    def password_expiries(self, after_id=0, limit=500):
        """The notifier's renewal reminders (a signed service identity only)."""
        self.caller.require("service")
        return directory.password_expiries(self.db, after_id, limit)

    @rpc(expected_exceptions=EXPECTED)
    def save_caisse(self, data):
        return referential.save_caisse(self.db, self._actor("admin_national"), dict(data))

    # --- partners and conventions (caisse agent) -------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def list_partners(self):
        return referential.list_partners(self.db, self._actor(*AGENTS))

    @rpc(expected_exceptions=EXPECTED)
    def get_partner(self, partner_id):
        actor = self._actor(*AGENTS)
        return referential.partner_row(self.db, access.partner(self.db, actor, partner_id), actor.caisse_id)

    @rpc(expected_exceptions=EXPECTED)
    def register_partner(self, data):
        return referential.register_partner(self.db, self._actor("agent_caisse"), dict(data))

    @rpc(expected_exceptions=EXPECTED)
    def update_partner(self, partner_id, data):
        actor = self._actor("agent_caisse")
        return referential.update_partner(self.db, actor, access.partner(self.db, actor, partner_id), dict(data))

    @rpc(expected_exceptions=EXPECTED)
    def set_convention_features(self, convention_id, features):
        return referential.set_features(self.db, self._actor(*AGENTS), convention_id, list(features))

    @rpc(expected_exceptions=EXPECTED)
    def end_convention(self, convention_id):
        emitted = self._emit()
        referential.end_convention(self.db, self._actor(*AGENTS), convention_id, emitted)
        self._publish(emitted)

    @rpc(expected_exceptions=EXPECTED)
    def suspend_partner(self, partner_id, suspended):
        actor = self._actor("agent_caisse")
        return referential.set_suspended(self.db, actor, access.partner(self.db, actor, partner_id), bool(suspended))

    # --- habilitation -----------------------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def create_gestionnaire(self, partner_id, data):
        actor = self._sensitive(*AGENTS)
        emitted = self._emit()
        result = habilitation.create_account(self.db, actor, access.partner(self.db, actor, partner_id),
                                             "gestionnaire", dict(data), emitted)
        self._publish(emitted)
        return result

    @rpc(expected_exceptions=EXPECTED)
    def create_technicien(self, data):
        actor = self._sensitive("gestionnaire")
        emitted = self._emit()
        result = habilitation.create_account(self.db, actor, access.partner(self.db, actor, None), "technicien",
                                             dict(data), emitted)
        self._publish(emitted)
        return result

    @rpc(expected_exceptions=EXPECTED)
    def edit_gestionnaire(self, account_id, data):
        actor = self._actor(*AGENTS)
        return habilitation.edit_gestionnaire(self.db, actor, access.manageable_account(self.db, actor, account_id),
                                              dict(data))

    @rpc(expected_exceptions=EXPECTED)
    def resend_invitation(self, account_id):
        actor = self._actor(*AGENTS, "gestionnaire")
        emitted = self._emit()
        habilitation.resend_invitation(self.db, actor, access.manageable_account(self.db, actor, account_id), emitted)
        self._publish(emitted)

    @rpc(expected_exceptions=EXPECTED)
    def pending_invitations(self):
        actor = self._actor(*AGENTS, "gestionnaire")
        return habilitation.pending_invitations(self.db, access.visible_partner_ids(self.db, actor))

    @rpc(expected_exceptions=EXPECTED)
    def inactivate_account(self, account_id, reason):
        actor = self._sensitive(*AGENTS, "gestionnaire")
        emitted = self._emit()
        result = habilitation.inactivate(self.db, actor, access.manageable_account(self.db, actor, account_id),
                                         reason, emitted)
        self._publish(emitted)
        return result

    @rpc(expected_exceptions=EXPECTED)
    def reactivate_account(self, account_id):
        actor = self._actor(*AGENTS, "gestionnaire")
        return habilitation.reactivate(self.db, actor, access.manageable_account(self.db, actor, account_id))

    @rpc(expected_exceptions=EXPECTED)
    def habilitation_table(self, partner_id=None):
        actor = self._actor(*AGENTS, "gestionnaire")
        return habilitation.table(self.db, access.partner(self.db, actor, partner_id))

    @rpc(expected_exceptions=EXPECTED)
    def habilitation_csv(self, partner_id=None):
        actor = self._actor(*AGENTS, "gestionnaire")
        return habilitation.table_csv(self.db, access.partner(self.db, actor, partner_id))

    @rpc(expected_exceptions=EXPECTED)
    def request_review(self, partner_id):
        actor = self._actor("agent_caisse")
        emitted = self._emit()
        result = habilitation.request_review(self.db, actor, access.partner(self.db, actor, partner_id),
                                             actor.caisse_id, emitted)
        self._publish(emitted)
        return result

    @rpc(expected_exceptions=EXPECTED)
    def confirm_review(self):
        return habilitation.confirm_review(self.db, self._actor("gestionnaire"))

    @rpc(expected_exceptions=EXPECTED)
    def audit_log(self, partner_id=None, limit=200):
        actor = self._actor(*AGENTS)
        partner_ids = [access.partner(self.db, actor, partner_id).id] if partner_id else \
            access.visible_partner_ids(self.db, actor)
        return audit.entries(self.db, partner_ids, actor.caisse_id if not partner_id else None, min(int(limit), 500))

    # --- scheduled sweeps -------------------------------------------------------------------
    @timer(interval=settings.sweep_interval_seconds())
    def sweep(self):
        for step in (sweeps.warn_inactive_techniciens, sweeps.inactivate_inactive_techniciens,
                     sweeps.end_expired_conventions, sweeps.periodic_reviews, sweeps.purge_inactivated,
                     sessions.purge_ended):
            emitted = self._emit()
            step(self.db, emitted)          # each step commits its own work…
            self._publish(emitted)          # …and its emails leave right after
