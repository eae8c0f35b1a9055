from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.common.event_outbox import EventOutboxColumns
from services.common.sweep_runs import SweepRunColumns


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict: sa.JSON}


class PartnerRequest(Base):
    """A request a partner's technicien makes to a caisse about an insured person.
    The person is identified by civility, names, birth date and department —
    never by NIR (refused in every field; it may only appear inside an attachment)."""

    __tablename__ = "partner_request"
    __table_args__ = (
        # The partner's history, newest first, keyset-paginated on (created_at, id); the convention
        # caisses it may see (one or several) are checked on the rows read, so no page sorts.
        sa.Index("ix_request_partner_created", "partner_id", "created_at", "id"),
        sa.Index("ix_request_partner_kind", "partner_id", "kind", "created_at", "id"),     # filtered by kind
        # The caisse's queue in keyset order: every status (and the open ones, the late ones, the oldest
        # untreated: read along it, filtered), or one status (the second index); no page sorts.
        sa.Index("ix_request_caisse_created", "caisse_code", "created_at", "id"),
        sa.Index("ix_request_caisse_status", "caisse_code", "status", "created_at", "id"),
        # The overdue requests of every caisse at once (national statistics): the untreated ones by date.
        sa.Index("ix_request_status_created", "status", "created_at", "caisse_code"),
        sa.Index("ix_request_duplicate", "partner_id", "kind", "insured_key"),
        # A form's submission, once: the web's retry after "réessayez" finds the request made.
        sa.UniqueConstraint("created_by", "idempotency_key", name="uq_request_idempotency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    partner_id: Mapped[int]
    caisse_code: Mapped[str] = mapped_column(sa.String(8))          # the caisse that processes it
    convention_caisse_code: Mapped[str] = mapped_column(sa.String(8), default="")   # the convention it was made under
    kind: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(24), default="submitted")
    insured_civility: Mapped[str] = mapped_column(sa.String(8), default="")
    insured_last_name: Mapped[str] = mapped_column(sa.String(80), default="")
    insured_first_name: Mapped[str] = mapped_column(sa.String(80), default="")
    insured_birth_date: Mapped[date | None]
    insured_department: Mapped[str] = mapped_column(sa.String(3), default="")
    # Lower-case, accent-free "last first birthdate": search and the one-open-request rule.
    insured_key: Mapped[str] = mapped_column(sa.String(200), default="")
    details: Mapped[dict] = mapped_column(default=dict)
    delivery: Mapped[str] = mapped_column(sa.String(10), default="")    # document requests: adresse | portail
    # Habilitated bodies (tutelles, ASE…) receive the caisse's documents through the portal.
    partner_habilitated: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int]                       # account id in the accounts service
    # Copied at submission: the author's name stays on the request after the account is deleted.
    created_by_name: Mapped[str] = mapped_column(sa.String(170), default="")
    created_by_email: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    # The caisse's first answer (answered, closed or not admissible): its delay is counted once (statistics).
    answered_at: Mapped[datetime | None]
    # Chosen by the web when it shows the form (see lifecycle.submit); None for older requests.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64))

    events: Mapped[list["RequestEvent"]] = relationship(order_by="RequestEvent.id", back_populates="request")


class RequestNameWord(Base):
    """One prefix of one word of a request's insured names, with the request's scope keys and date:
    a name search is one index range in the lists' keyset order (services.requests.name_search)."""

    __tablename__ = "request_name_word"
    __table_args__ = (
        sa.Index("ix_name_word_caisse", "prefix", "caisse_code", "created_at", "request_id"),    # agent's queue
        sa.Index("ix_name_word_partner", "prefix", "partner_id", "created_at", "request_id"),    # partner's lists
    )

    request_id: Mapped[int] = mapped_column(sa.ForeignKey("partner_request.id", ondelete="CASCADE"),
                                            primary_key=True)
    prefix: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    caisse_code: Mapped[str] = mapped_column(sa.String(8))
    partner_id: Mapped[int]
    created_at: Mapped[datetime]


class RequestMonthStat(Base):
    """Requests filed and answered per caisse, partner, kind and month (services.requests.statistics), written
    in the transaction that files or answers one: the statistics page reads a few rows per month, never the
    requests. ``partner_id`` 0 is the caisse's total over its partners (the national page reads only those)."""

    __tablename__ = "request_month_stat"
    # The national page: the caisses' totals (partner 0) of a range of months, not every partner's rows; the
    # counts in the index, so that the totals are read there, side by side, not row by row in a table where
    # every partner's rows lie between them (the page's cost grew with the number of partners' rows).
    __table_args__ = (sa.Index("ix_month_stat_totals", "partner_id", "month", "kind", "caisse_code", "filed",
                               "answered"),)
    caisse_code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)           # YYYY-MM (UTC)
    partner_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    filed: Mapped[int] = mapped_column(default=0)                                 # filed that month
    answered: Mapped[int] = mapped_column(default=0)                              # first answered that month


class RequestDelayStat(Base):
    """How long the first answers took, as a histogram per caisse, kind and month of the answer: ``bucket`` is
    the lower edge in hours of a bucket one hour wide under 2 days, one day under 60 days, one week beyond
    (services.requests.statistics.bucket_of); medians and 90th percentiles are read from it."""

    __tablename__ = "request_delay_stat"
    # The statistics page reads a caisse's (or the nation's) histograms of a range of months: from this index
    # alone, the counts beside their keys (the primary key's index points at rows spread over the table).
    __table_args__ = (sa.Index("ix_delay_stat_read", "caisse_code", "month", "kind", "bucket", "answered"),)
    caisse_code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    bucket: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    answered: Mapped[int] = mapped_column(default=0)


class RequestTally(Base):
    """How many of a caisse's requests filed in one week (its Monday) are of one kind and now in one
    status: the agent's counts and trends read a few hundred of these rows whatever the volume
    (services.requests.tally keeps them with each submission, status change and deletion)."""

    __tablename__ = "request_tally"
    caisse_code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    week: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class RequestStatusTally(Base):
    """How many of a caisse's requests are in one status now: the agent's counts, six rows a caisse
    (kept with request_tally by services.requests.tally)."""

    __tablename__ = "request_status_tally"
    caisse_code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class RequestOpenDay(Base):
    """How many of a partner's requests filed on one day are untreated now (``partner_id`` 0: the caisse's
    total): the statistics' overdue counts read these rows (days of backlog), not the requests (kept by
    services.requests.tally)."""

    __tablename__ = "request_open_day"
    # The national page: the caisses' totals (partner 0) of the days past a delay, not every partner's rows.
    __table_args__ = (sa.Index("ix_open_day_totals", "partner_id", "day"),)
    caisse_code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    partner_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class RequestEvent(Base):
    """One dated line of a request's timeline: a status change and/or a message."""

    __tablename__ = "request_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("partner_request.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None]
    author_name: Mapped[str] = mapped_column(sa.String(170))
    side: Mapped[str] = mapped_column(sa.String(8))                      # partner | caisse | system
    from_status: Mapped[str | None] = mapped_column(sa.String(24))
    to_status: Mapped[str | None] = mapped_column(sa.String(24))
    message: Mapped[str] = mapped_column(sa.Text, default="")

    request: Mapped[PartnerRequest] = relationship(back_populates="events")
    attachments: Mapped[list["Attachment"]] = relationship(order_by="Attachment.id")


class Attachment(Base):
    """A scanned file kept by the requests service's storage (never by the web)."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("partner_request.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("request_event.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(sa.String(8))                 # in (partner -> caisse) | out
    storage_key: Mapped[str] = mapped_column(sa.String(80))
    filename: Mapped[str] = mapped_column(sa.String(160))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))


class AttachmentBudget(Base):
    """Files attached so far, for one quota (services.requests.quotas): a request's side
    ("request", "<id>:in|out") or a person's day ("person", "<account id>", period = the day)."""

    __tablename__ = "attachment_budget"
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(10), default="")
    files: Mapped[int] = mapped_column(default=0)
    bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class ReferenceCounter(Base):
    """Yearly request numbering (DP-2026-000123), one row per year, incremented atomically."""

    __tablename__ = "reference_counter"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class NotificationPreference(Base):
    """Which request emails a person wants (absent row: all of them)."""

    __tablename__ = "notification_preference"
    account_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    status_changes: Mapped[bool] = mapped_column(default=True)
    messages: Mapped[bool] = mapped_column(default=True)


class CaisseSetting(Base):
    """Per-caisse settings of request processing, chosen by the caisse's administrateur
    (services.requests.caisse_settings; no row: the defaults). Also the daily summary's claim."""

    __tablename__ = "caisse_setting"
    caisse_code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    late_after_days: Mapped[int] = mapped_column(default=10)   # untreated longer than this: flagged
    last_summary_on: Mapped[date | None]                        # the daily summary is sent once a day
    # Offered in « Demander un document » (catalogue.OFFERABLE_DOCUMENTS keys); None: all of them.
    documents: Mapped[list | None] = mapped_column(sa.JSON)
    # portail_habilites: through the portal to habilitated bodies, else to the address | adresse: always there
    delivery: Mapped[str] = mapped_column(sa.String(20), default="portail_habilites",
                                          server_default="portail_habilites")
    updated_at: Mapped[datetime | None]


class CaisseSettingChange(Base):
    """The audit of the caisse's request settings: who changed what, from what to what."""

    __tablename__ = "caisse_setting_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    caisse_code: Mapped[str] = mapped_column(sa.String(8), index=True)
    author_id: Mapped[int | None]
    author_name: Mapped[str] = mapped_column(sa.String(170))
    author_profile: Mapped[str] = mapped_column(sa.String(20))
    changes: Mapped[dict]                                        # setting -> [before, after]


class PersonalDataRecord(Base):
    """The trace of each look at a person's data on request (GDPR art. 15 and 17): who found, exported
    or erased it, when, how many requests; never the person."""

    __tablename__ = "personal_data_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(10), server_default="erase")     # find | export | erase
    at: Mapped[datetime] = mapped_column(default=utcnow)
    caisse_code: Mapped[str] = mapped_column(sa.String(8))
    agent_id: Mapped[int]
    agent_name: Mapped[str] = mapped_column(sa.String(170))
    request_count: Mapped[int]
    references: Mapped[str] = mapped_column(sa.Text, default="")


class SupportReport(Base):
    """« Signaler un dysfonctionnement » (issue 15, point 3): a report by any signed-in person, handled by
    the local referents and agents of ``caisse_code`` or, ``level`` national, by national support (the
    national administrator). Free text carries no NIR (contracts.nir)."""

    __tablename__ = "support_report"
    __table_args__ = (sa.Index("ix_support_queue", "level", "caisse_code", "status", "id"),
                      sa.Index("ix_support_reporter", "reporter_id", "id"),
                      sa.Index("ix_support_partner", "partner_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    level: Mapped[str] = mapped_column(sa.String(10), default="caisse")          # caisse | national
    caisse_code: Mapped[str] = mapped_column(sa.String(8), default="")          # "" : filed by the national admin
    caisse_name: Mapped[str] = mapped_column(sa.String(120), default="")
    category: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="submitted")
    description: Mapped[str] = mapped_column(sa.Text)
    happened_at: Mapped[datetime]
    page: Mapped[str] = mapped_column(sa.String(300), default="")
    reporter_id: Mapped[int]
    reporter_profile: Mapped[str] = mapped_column(sa.String(20))
    reporter_name: Mapped[str] = mapped_column(sa.String(170), default="")
    reporter_email: Mapped[str] = mapped_column(sa.String(254), default="")
    partner_id: Mapped[int | None]
    partner_name: Mapped[str] = mapped_column(sa.String(200), default="")
    # The optional screenshot, scanned and kept by the requests service's storage like every attachment.
    screenshot_key: Mapped[str | None] = mapped_column(sa.String(80))
    screenshot_filename: Mapped[str] = mapped_column(sa.String(160), default="")
    screenshot_type: Mapped[str] = mapped_column(sa.String(40), default="")
    screenshot_size: Mapped[int] = mapped_column(default=0)
    screenshot_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Turn(Base):
    """The row a check-then-write of one scope takes first in its transaction (services.requests.turns)."""

    __tablename__ = "turn"
    scope: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    taken: Mapped[int] = mapped_column(default=0)


class SupportEvent(Base):
    """One dated line of a report's timeline (filed, answered, escalated, closed, a message)."""

    __tablename__ = "support_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("support_report.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None]
    author_name: Mapped[str] = mapped_column(sa.String(170), default="")
    side: Mapped[str] = mapped_column(sa.String(10))                 # reporter | caisse | national
    action: Mapped[str] = mapped_column(sa.String(20))
    to_status: Mapped[str | None] = mapped_column(sa.String(20))
    message: Mapped[str] = mapped_column(sa.Text, default="")


class Document(Base):
    """A version of a downloadable document of the portal (issue 15, point 4): a caisse's (``caisse_code``)
    or everyone's ("", the national administrator's). The versions of one document share ``series_id``
    (the first version's id); the newest is the one in force, the previous ones stay downloadable."""

    __tablename__ = "document"
    __table_args__ = (sa.Index("ix_document_caisse", "caisse_code", "series_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(index=True)
    caisse_code: Mapped[str] = mapped_column(sa.String(8), default="")
    category: Mapped[str] = mapped_column(sa.String(20))                 # guide | formulaire | cgu
    title: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[str] = mapped_column(sa.String(30))
    storage_key: Mapped[str] = mapped_column(sa.String(80))
    filename: Mapped[str] = mapped_column(sa.String(160))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    author_id: Mapped[int | None]
    author_name: Mapped[str] = mapped_column(sa.String(170), default="")


class Draft(Base):
    """What a technicien had typed in a request form when their session expired (services.requests.drafts):
    one per account and form, no NIR, no file, deleted once reloaded, on submission or after EP_DRAFT_HOURS."""

    __tablename__ = "request_draft"
    __table_args__ = (sa.UniqueConstraint("account_id", "kind", "caisse_code", name="uq_request_draft_form"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    caisse_code: Mapped[str] = mapped_column(sa.String(8))
    fields: Mapped[dict]                                         # field name -> text or [texts]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class EventOutbox(EventOutboxColumns, Base):
    """Events to publish, committed with the change that caused them (services.common.event_outbox)."""


class SweepRun(SweepRunColumns, Base):
    """The last run of each scheduled sweep (services.common.sweep_runs), for the supervision screen."""
