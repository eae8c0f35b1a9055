"""The people and objects the access-control tables are checked with.

Profiles: national admin, agent of caisse X (999) and of caisse Y (998), both administrateurs de
caisse, a plain agent of X (judged as agent X but on the caisse's staff and settings), gestionnaire and
technicien of partner A (CCAS, under convention with X only) and of partner B (the
association, with X and Y), an inactivated technicien, anonymous. Objects are owned by X/A
so that ownership is exercised: agent Y and partner B must be refused them.
Throwaway objects (partner, maintenance) are made for the allowed calls that would
otherwise change the demo data other tests rely on.
"""
import base64
import random
import string
import uuid
from datetime import date, datetime, timedelta, timezone

from contracts.errors import NotAuthenticated, RuleViolation, SecondFactorRequired
from services.requests.tests.test_attachments import PDF, PNG
from services.web.users import identity_of
from tests.helpers import LOGINS, authenticated, link_in, post_form, second_factor_code
from tests.test_web_partners import fictitious_siret

# Profile name in the tables -> demo role of tests/helpers.py (None: built here).
PROFILES = {"admin": "admin_national", "agent_x": "agent_caisse", "agent_y": "agent_autre_caisse",
            "plain_agent_x": "agent_simple",
            "gest_a": "gestionnaire", "tech_a": "technicien", "gest_b": "gestionnaire_b", "tech_b": "technicien_b",
            "inactive": None, "anonymous": None}
INACTIVE_PASSWORD = "Inactivee-Solide-2026!"


def call(app, service, method, *args, who=None):
    with app.app_context():
        return app.extensions["services"].call(service, method, *args, who=who or {}, timeout=10)


def authenticate(app, email, password) -> dict:
    """A fresh server-side session, as the web's login opens one: the summary (identity + token)."""
    return authenticated(app, email, password)


class World:
    def __init__(self, app, mailbox, client):
        self.app = app
        self.summaries = {name: authenticate(app, *LOGINS[role]) for name, role in PROFILES.items() if role}
        self.who = {name: identity_of(s) for name, s in self.summaries.items()}
        self.who["anonymous"] = {}
        self.who["service"] = {"id": None, "profile": "service", "service": "notifier"}   # as ServiceRpc signs it
        self.emails = {name: LOGINS[role][0] for name, role in PROFILES.items() if role}
        partners = {p["name"]: p for p in self.as_("admin", "accounts", "list_partners")}
        self.partner_a = partners["CCAS de Saint-Exemple"]["id"]
        self.partner_b = partners["Association Le Relais Fictif"]["id"]
        self.caisse_x = next(c["id"] for c in self.as_("admin", "accounts", "list_caisses") if c["code"] == "999")
        self.convention_xa = self._convention(self.partner_a)
        self.features_xa = next(c["features"] for c in self.as_("agent_x", "accounts", "get_partner", self.partner_a)
                                ["conventions"] if c["id"] == self.convention_xa)
        self.cgu_version = call(app, "accounts", "current_cgu_version")
        rows = {r["email"] + r["profile"]: r["id"] for r in
                self.as_("agent_x", "accounts", "habilitation_table", self.partner_a)["rows"]}
        self.gest_a_account = rows[self.emails["gest_a"] + "gestionnaire"]
        self.tech_a_account = rows[self.emails["tech_a"] + "technicien"]
        self.plain_agent_x_account = next(r["id"] for r in self.as_("agent_x", "accounts", "list_caisse_agents")["rows"]
                                          if r["email"] == self.emails["plain_agent_x"])
        made = self.as_("tech_a", "requests", "submit", "document", "999", {
            "insured": {"civility": "Mme", "last_name": "Matrice-" + "".join(random.choices(string.ascii_lowercase, k=8)), "first_name": "Lina",
                        "birth_date": "1985-03-02", "department": "60"},
            "document_type": "attestation_droits", "comment": ""},
            [{"filename": "piece.pdf", "content_b64": base64.b64encode(PDF).decode()}])
        self.request_a = made["id"]
        self.attachment_a = made["timeline"][0]["attachments"][0]["id"]
        self.support_a, self.document_x = self._support_and_documentation()
        self.account_request_a = self._habilitation_request_a()
        self._conventions_world()
        self.maintenance_x = self.new_maintenance()
        self.message_x = self._message_to(mailbox, self.emails["tech_a"])
        self._make_inactive(mailbox, client)

    def _habilitation_request_a(self) -> int:
        """A habilitation request of partner A waiting for caisse X: no more wait than its free places, so the one
        an earlier world of this stack filed (and no call decided) serves again."""
        waiting = [r["id"] for r in self.as_("gest_a", "accounts", "my_account_requests")
                   if r["kind"] == "habilitation" and r["status"] == "pending"]
        return waiting[0] if waiting else self.as_("gest_a", "accounts", "file_account_request", "habilitation", {
            "civility": "Mme", "last_name": "Matrice", "first_name": "Léa", "function": "Adjointe", "phone": "0123456789",
            "email": f"matrice-{uuid.uuid4().hex[:8]}@ccas-saint-exemple.test",
            "wanted_date": (date.today() + timedelta(days=10)).isoformat()})["id"]

    def _support_and_documentation(self) -> tuple[int, int]:
        """tech_a's support report to caisse X (with a screenshot) and a document of caisse X (issue 15)."""
        shot = {"filename": "capture.png", "content_b64": base64.b64encode(PNG).decode()}
        report = self.as_("tech_a", "requests", "file_support_report", {
            "category": "dysfonctionnement", "description": "La page ne répond plus.",
            "happened_on": datetime.now(timezone.utc).date().isoformat(), "page": "/demandes"}, shot)
        document = self.as_("agent_x", "requests", "publish_document", {
            "category": "guide", "title": f"Guide {uuid.uuid4().hex[:8]}", "version": "1"},
            {"filename": "guide.pdf", "content_b64": base64.b64encode(PDF).decode()})
        return report["id"], document["id"]

    def as_(self, profile, service, method, *args):
        """As a demo profile, through the world's own session; logged in again when the table's own
        calls ended it (« Déconnecter mes autres sessions » from the same account)."""
        try:
            return call(self.app, service, method, *args, who=self.who[profile])
        except NotAuthenticated:
            self.who[profile] = identity_of(authenticate(self.app, *self.login_of(profile)))
            return call(self.app, service, method, *args, who=self.who[profile])

    def _convention(self, partner_id):
        partner = self.as_("agent_x", "accounts", "get_partner", partner_id)
        return next(c["id"] for c in partner["conventions"] if c["caisse_code"] == "999")

    def _message_to(self, mailbox, email):
        """An email to a user of caisse X (a password-reset link), as the delivery log lists it."""
        before = len(mailbox.messages())          # not an older email to the same person
        call(self.app, "accounts", "request_password_reset", email)
        mailbox.wait_for(email, after=before)
        rows = self.as_("agent_x", "notifier", "delivery_log", {"recipient": email}, None, 10)["rows"]
        return rows[0]["id"]

    def _make_inactive(self, mailbox, client):
        """A technicien of partner B who logged in (a live session) and was then inactivated."""
        email = f"inactif-{uuid.uuid4().hex[:8]}@relais-fictif.test"
        created = self.as_("gest_b", "accounts", "create_technicien", {
            "civility": "M.", "last_name": "Inactif", "first_name": "Noé", "function": "Conseiller",
            "phone": "0123456789", "email": email})
        path = link_in(mailbox.wait_for(email), "/activation/")
        response = post_form(client, path, {"password": INACTIVE_PASSWORD, "confirm": INACTIVE_PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)
        self.inactive_email = email
        first = identity_of(authenticate(self.app, email, INACTIVE_PASSWORD))
        call(self.app, "accounts", "accept_cgu", self.cgu_version, who=first)     # else only "pending" steps
        self.inactive_summary = authenticate(self.app, email, INACTIVE_PASSWORD)
        assert not self.inactive_summary["pending"]
        self.who["inactive"] = identity_of(self.inactive_summary)
        self.inactive_account = created["id"]

    def inactivate(self):
        self.as_("gest_b", "accounts", "inactivate_account", self.inactive_account, "gestionnaire")

    # --- rights through conventions in force only (tests/access_table.CONVENTION_CASES) -------
    def _conventions_world(self):
        """Partner C: a convention with caisse Y only. A as caisse Y sees it: Y's proposal (the SIRET
        attempt of issue 14), not yet accepted. Partner D: its convention with X ended."""
        self.partner_c, self.gest_c_account = self._partner_with_gestionnaire("agent_y")
        siret_a = self.as_("admin", "accounts", "get_partner", self.partner_a)["siret"]
        try:
            self.as_("agent_y", "accounts", "register_partner", {
                "name": "Tentative", "kind": "CCAS", "siret": siret_a, "address": "x", "member_count": 5,
                "start_date": "2026-01-01", "features": ["document"]})
        except RuleViolation:           # pending already (another world of this test session made it)
            pass
        self.proposal_ya = next(p["convention_id"] for p in self.as_("agent_y", "accounts", "list_partners")
                                if p["id"] == self.partner_a and p["state"] == "proposed")
        self.partner_d, self.gest_d_account = self._partner_with_gestionnaire("agent_x")
        self.as_("agent_x", "accounts", "end_convention", self._convention(self.partner_d))
        self.convention_cases = {"partner_c": (self.partner_c, self.gest_c_account),
                                 "proposal_ya": (self.partner_a, self.gest_a_account),
                                 "ended_xd": (self.partner_d, self.gest_d_account)}

    def _partner_with_gestionnaire(self, agent) -> tuple[int, int]:
        partner = self.as_(agent, "accounts", "register_partner", {
            "name": f"Structure {agent} {uuid.uuid4().hex[:8]}", "kind": "Association", "siret": fictitious_siret(),
            "address": "5 rue des Essais", "member_count": 5, "start_date": "2026-01-01", "features": ["document"]})
        gestionnaire = self.as_(agent, "accounts", "create_gestionnaire", partner["id"], {
            "civility": "Mme", "last_name": "Matrice", "first_name": "Léa", "function": "Directrice",
            "phone": "0123456789", "email": f"gest-{uuid.uuid4().hex[:8]}@structure-essai.test"})
        return partner["id"], gestionnaire["id"]

    # --- throwaway objects of caisse X, for allowed calls that change what they touch --------
    def new_partner(self) -> tuple[int, int]:
        """(partner id, its convention with X)."""
        partner = self.as_("agent_x", "accounts", "register_partner", {
            "name": f"Structure jetable {uuid.uuid4().hex[:8]}", "kind": "Association", "siret": fictitious_siret(),
            "address": "3 rue des Essais", "member_count": 5, "start_date": "2026-01-01", "features": ["document"]})
        return partner["id"], self._convention(partner["id"])

    def new_maintenance(self) -> int:
        start = datetime.now(timezone.utc) + timedelta(days=300)
        return self.as_("agent_x", "notifier", "schedule_maintenance", {
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
            "message": "Maintenance de la matrice des droits."})["id"]

    def code_step(self) -> tuple[str, str]:
        """A real ticket of the login's code step (agent Y's password) and the right code: the
        public second step passes the access check (a wrong code would throttle the account)."""
        email, password = LOGINS["agent_autre_caisse"]
        try:
            call(self.app, "accounts", "authenticate", email, password)
        except SecondFactorRequired as step:
            url = self.app.config.get("TEST_ACCOUNTS_DATABASE_URL")
            return step.ticket, second_factor_code("agent_caisse", email, database_url=url)
        raise AssertionError("agent Y has a second factor in the demo data")

    def login_of(self, profile) -> tuple[str, str]:
        return LOGINS[PROFILES[profile]]
