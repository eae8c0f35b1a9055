from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.event_outbox import EventOutboxColumns
from services.common.sweep_runs import SweepRunColumns


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)   # stored naive, always UTC


class Base(DeclarativeBase):
    type_annotation_map = {dict: sa.JSON, list: sa.JSON}


class Caisse(Base):
    __tablename__ = "caisse"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)        # e.g. "999"
    name: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    # Local referents, the other channel during an outage (services.accounts.caisse_settings.referents):
    # [{kind: person|mailbox, name, function, phones: [..], email}]
    referents: Mapped[list] = mapped_column(default=list)
    # Departments of residence the caisse covers ("60", "2A"…): routes "contact the insured's caisse".
    departments: Mapped[list] = mapped_column(default=list)
    # The caisse's agents may require the second factor of its partners' gestionnaires too.
    partners_second_factor: Mapped[bool] = mapped_column(default=False)
    # The rules the agreements leave to each caisse (services.accounts.caisse_settings), set by its
    # administrateur: techniciens without a login for N days inactivated (warned ahead), and the caps.
    technicien_inactivity: Mapped[bool] = mapped_column(default=False)
    technicien_inactivity_days: Mapped[int] = mapped_column(default=90)
    technicien_inactivity_warning_days: Mapped[int] = mapped_column(default=15)
    technicien_caps: Mapped[bool] = mapped_column(default=True)
    # Whom a person writes to about their personal data (« Données personnelles »): the caisse's
    # data-protection officer, set by its administrateur (services.accounts.caisse_settings).
    data_protection_email: Mapped[str] = mapped_column(sa.String(254), default="")
    data_protection_address: Mapped[str] = mapped_column(sa.String(300), default="")


class Partner(Base):
    __tablename__ = "partner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    kind: Mapped[str] = mapped_column(sa.String(40))                     # CCAS, CIAS, association…
    siret: Mapped[str] = mapped_column(sa.String(14), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    member_count: Mapped[int] = mapped_column(default=1)
    # Tutelles, ASE, depositary bodies, judicial mandataries: documents through the portal.
    habilitated_body: Mapped[bool] = mapped_column(default=False)
    # Optional: "ville.fr ccas.ville.fr"; when set, accounts' emails must be on these domains.
    email_domains: Mapped[str] = mapped_column(sa.String(300), default="")
    suspended_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Convention(Base):
    __tablename__ = "convention"
    __table_args__ = (sa.Index("ix_convention_partner_caisse", "partner_id", "caisse_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"))
    caisse_id: Mapped[int] = mapped_column(sa.ForeignKey("caisse.id"))
    start_date: Mapped[date]
    end_date: Mapped[date | None]                 # None: running, renewed each year by tacit renewal
    tacit_renewal: Mapped[bool] = mapped_column(default=True)
    features: Mapped[list] = mapped_column(default=list)
    # proposed (a known SIRET: waits for the partner's gestionnaire) | active | refused | ended
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    ended_at: Mapped[datetime | None]
    # --- partners and conventions (services.accounts.access, .referential, .conventions)
    suspended_at: Mapped[datetime | None]         # the caisse cut the partner's access to itself
    notice_given_at: Mapped[datetime | None]      # notice against tacit renewal: ends on end_date
    notice_by: Mapped[str | None] = mapped_column(sa.String(10))       # caisse | partner (recorded for it)
    end_notice_sent_for: Mapped[date | None]      # the end date whose coming-end email went out
    partner_referent: Mapped[dict] = mapped_column(default=dict)       # {name, function, phone, email}
    proposed_by_name: Mapped[str] = mapped_column(sa.String(170), default="")
    answered_at: Mapped[datetime | None]
    answered_by_name: Mapped[str] = mapped_column(sa.String(170), default="")

    partner: Mapped[Partner] = relationship(lazy="joined")
    caisse: Mapped[Caisse] = relationship(lazy="joined")


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (sa.UniqueConstraint("email", "profile", name="uq_account_email_profile"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)     # stored lower-cased
    civility: Mapped[str] = mapped_column(sa.String(8))
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    function: Mapped[str] = mapped_column(sa.String(120), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    profile: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(12), default="active")  # active | inactive
    caisse_id: Mapped[int | None] = mapped_column(sa.ForeignKey("caisse.id"))
    # An agent holding the role « administrateur de caisse »: manages the caisse's agents and settings.
    caisse_admin: Mapped[bool] = mapped_column(default=False)
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
    created_by_name: Mapped[str] = mapped_column(sa.String(170), default="")
    gestionnaire_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    password_changed_at: Mapped[datetime | None]
    cgu_version: Mapped[str | None] = mapped_column(sa.String(20))
    last_login_at: Mapped[datetime | None]
    # Start of the current inactivity period: creation, last login or reactivation.
    activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    inactivity_warned_at: Mapped[datetime | None]
    inactivated_at: Mapped[datetime | None]
    inactivation_reason: Mapped[str | None] = mapped_column(sa.String(40))
    # A fraud/loss/theft inactivation is lifted by that caisse only (None: the national admin).
    inactivated_by_caisse_id: Mapped[int | None]
    # No longer read nor written (issue 16: counters are keyed by address, SignInCounter); kept until a
    # migration drops them with bench/datagen's column.
    failed_logins: Mapped[int] = mapped_column(default=0)
    last_failed_login_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    reset_requested_at: Mapped[datetime | None]        # the last link sent on request: reset, invitation resent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Second factor (services.accounts.second_factor): TOTP secrets sealed by services.accounts.sealing;
    # the pending one waits for its first code, the last accepted time step refuses a replayed code.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(200))
    totp_pending_secret: Mapped[str | None] = mapped_column(sa.String(200))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    caisse: Mapped[Caisse | None] = relationship(lazy="joined")
    partner: Mapped[Partner | None] = relationship(lazy="joined")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PasswordToken(Base):
    """Single-use link to set a password; only the SHA-256 of the token is kept."""

    __tablename__ = "password_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))                  # reset | invitation
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordHistory(Base):
    __tablename__ = "password_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HabilitationReview(Base):
    """The caisse asks a partner to re-confirm its habilitation table."""

    __tablename__ = "habilitation_review"
    __table_args__ = (sa.Index("ix_review_partner_open", "partner_id", "confirmed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id", ondelete="CASCADE"))
    caisse_id: Mapped[int] = mapped_column(sa.ForeignKey("caisse.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_name: Mapped[str] = mapped_column(sa.String(170))       # an agent, or "Demande périodique"
    last_reminder_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    confirmed_by_name: Mapped[str | None] = mapped_column(sa.String(170))


class AccountRequest(Base):
    """A partner's request to its caisse about its accounts (services.accounts.account_requests): a
    gestionnaire's habilitation, departure or correction, or a report of fraud, loss or theft (kept as
    the proof the agreements ask for: the names are copied, the row outlives the account)."""

    __tablename__ = "account_request"
    __table_args__ = (sa.Index("ix_account_request_caisse_status", "caisse_id", "status"),
                      sa.Index("ix_account_request_partner", "partner_id", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))        # habilitation | departure | correction | report
    # pending -> approved | refused (habilitation, correction); pending -> scheduled | refused, then done |
    # blocked on the date (departure); pending -> inactivated | reactivated (report)
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partner.id"))
    caisse_id: Mapped[int] = mapped_column(sa.ForeignKey("caisse.id"))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
    account_name: Mapped[str] = mapped_column(sa.String(170), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
    created_by_name: Mapped[str] = mapped_column(sa.String(170))
    due_date: Mapped[date]
    wanted_date: Mapped[date | None]                      # the habilitation's wanted date, the departure's date
    data: Mapped[dict] = mapped_column(default=dict)      # the person, the corrected fields, the successor, the cause
    decided_at: Mapped[datetime | None]
    decided_by_name: Mapped[str] = mapped_column(sa.String(170), default="")
    reason: Mapped[str] = mapped_column(sa.String(500), default="")   # a refusal's reason, a blocked departure's

    partner: Mapped[Partner] = relationship(lazy="joined")
    caisse: Mapped[Caisse] = relationship(lazy="joined")


class AccountRequestStep(Base):
    """A request's timeline: who did what, when."""

    __tablename__ = "account_request_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("account_request.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_name: Mapped[str] = mapped_column(sa.String(170))
    side: Mapped[str] = mapped_column(sa.String(10))       # partner | caisse | system
    what: Mapped[str] = mapped_column(sa.String(500))


class AuditEntry(Base):
    """Who did what to whom, when. Names are copied: they outlive deleted accounts."""

    __tablename__ = "audit_entry"
    # The journal: each scope key's newest entries in (at, id) order, merged (services.accounts.audit).
    __table_args__ = (sa.Index("ix_audit_partner_at", "partner_id", "at", "id"),
                      sa.Index("ix_audit_caisse_at", "caisse_id", "at", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(sa.String(170))
    action: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[int | None]
    target_name: Mapped[str] = mapped_column(sa.String(170), default="")
    partner_id: Mapped[int | None]
    caisse_id: Mapped[int | None]
    details: Mapped[str] = mapped_column(sa.String(500), default="")


class EventOutbox(EventOutboxColumns, Base):
    """Events to publish, committed with the change that caused them (services.common.event_outbox)."""


class UserSession(Base):
    """A logged-in browser. The web's cookie holds only the random token; only its
    SHA-256 is kept, so a copy of the table opens no session."""

    __tablename__ = "sessions"
    __table_args__ = (sa.Index("ix_sessions_account_open", "account_id", "ended_at"),
                      sa.Index("ux_sessions_login_ticket", "login_ticket", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    device: Mapped[str] = mapped_column(sa.String(80), default="")     # "Firefox sous Windows"
    ended_at: Mapped[datetime | None]
    # logout | idle | expired | password | inactivated | suspended | others
    end_reason: Mapped[str | None] = mapped_column(sa.String(16))
    # Last proof of identity (login, password or code): sensitive actions want a recent one.
    reauthenticated_at: Mapped[datetime | None]
    # The nonce of the login ticket that opened it (code step, profile choice): unique, a ticket serves once.
    login_ticket: Mapped[str | None] = mapped_column(sa.String(32))

    # Read with the session by the session check (services.accounts.sessions.resume), in the same statement.
    account: Mapped[Account] = relationship()


class RecoveryCode(Base):
    """Single-use codes for a lost authenticator; only a salted SHA-256 is kept
    (the codes are random, 50 bits: a slow hash would add nothing)."""

    __tablename__ = "recovery_code"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    salt: Mapped[str] = mapped_column(sa.String(32))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None]


class SignInCounter(Base):
    """Failed sign-ins (services.accounts.throttle), keyed by a keyed hash of the normalised email address,
    known or not (an unknown address is slowed and locked like a real one), or of the address and a
    client address the account usually signs in from (the owner's own allowance during a lock)."""

    __tablename__ = "sign_in_counter"
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failure_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]


class KnownPlace(Base):
    """A client address an account signed in from (services.accounts.places): only its keyed hash."""

    __tablename__ = "known_place"
    __table_args__ = (sa.UniqueConstraint("account_id", "place", name="uq_known_place"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    place: Mapped[str] = mapped_column(sa.String(64))
    seen_at: Mapped[datetime]


class SweepRun(SweepRunColumns, Base):
    """The last run of each scheduled sweep (services.common.sweep_runs), for the supervision screen."""
