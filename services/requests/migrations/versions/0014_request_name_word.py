"""request name words: every prefix of every word of the insured's names, with the request's scope
keys and date, so a name search is one index range in keyset order at any volume (issue 17);
backfilled from the requests already made

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 02:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    words = op.create_table(
        "request_name_word",
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("partner_request.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("prefix", sa.String(16), primary_key=True),
        sa.Column("caisse_code", sa.String(8), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_name_word_caisse", "request_name_word", ["prefix", "caisse_code", "created_at", "request_id"])
    op.create_index("ix_name_word_partner", "request_name_word", ["prefix", "partner_id", "created_at", "request_id"])
    _backfill(op.get_bind(), words)


def _backfill(conn, words: sa.Table) -> None:
    """The existing requests, in id batches (the same normalisation as new submissions)."""
    from services.requests.name_search import rows

    requests = sa.table("partner_request", sa.column("id"), sa.column("caisse_code"), sa.column("partner_id"),
                        sa.column("created_at", sa.DateTime()), sa.column("insured_last_name"), sa.column("insured_first_name"))
    last = 0
    while True:
        batch = conn.execute(sa.select(requests).where(requests.c.id > last).order_by(requests.c.id)
                             .limit(BATCH)).all()
        if not batch:
            return
        found = [row for r in batch for row in rows(r.id, r.caisse_code, r.partner_id, r.created_at,
                                                     r.insured_last_name, r.insured_first_name)]
        if found:
            conn.execute(sa.insert(words), found)
        last = batch[-1].id


def downgrade():
    op.drop_index("ix_name_word_partner", table_name="request_name_word")
    op.drop_index("ix_name_word_caisse", table_name="request_name_word")
    op.drop_table("request_name_word")
