from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class PartnerRequest(Base):
    """A request a partner's technicien makes to the caisse. The insured person is
    never identified by NIR; identification fields arrive with the request forms."""

    __tablename__ = "partner_request"
    __table_args__ = (
        sa.Index("ix_request_partner_created", "partner_id", "created_at", "id"),
        sa.Index("ix_request_caisse_status", "caisse_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    partner_id: Mapped[int]
    caisse_code: Mapped[str] = mapped_column(sa.String(8))
    kind: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(24), default="submitted")
    created_by: Mapped[int]                       # account id in the accounts service
    # Copied at submission: the author's name stays on the request after the account is deleted.
    created_by_name: Mapped[str] = mapped_column(sa.String(170), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
