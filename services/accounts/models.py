from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)   # stored naive, always UTC


class Base(DeclarativeBase):
    pass


class Caisse(Base):
    __tablename__ = "caisse"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)        # e.g. "999"
    name: Mapped[str] = mapped_column(sa.String(120))


class Partner(Base):
    __tablename__ = "partner"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    kind: Mapped[str] = mapped_column(sa.String(40))                     # CCAS, CIAS, association…


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (sa.UniqueConstraint("email", "profile", name="uq_account_email_profile"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)     # stored lower-cased
    civility: Mapped[str] = mapped_column(sa.String(8))
    first_name: Mapped[str] = mapped_column(sa.String(80))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    profile: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(12), default="active")  # active | inactive
    caisse_id: Mapped[int | None] = mapped_column(sa.ForeignKey("caisse.id"))
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner.id"))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    password_changed_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    caisse: Mapped[Caisse | None] = relationship(lazy="joined")
    partner: Mapped[Partner | None] = relationship(lazy="joined")


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
