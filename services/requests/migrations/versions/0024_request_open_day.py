"""the statistics' overdue counts flat at any volume: untreated requests kept per partner (and the caisse's total) and day of filing
(request_open_day, services.requests.tally), backfilled from the requests already made

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 12:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "request_open_day",
        sa.Column("caisse_code", sa.String(8), primary_key=True),
        sa.Column("partner_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_open_day_totals", "request_open_day", ["partner_id", "day"])
    from services.requests.tally import rebuild_backlog

    rebuild_backlog(op.get_bind())


def downgrade():
    op.drop_index("ix_open_day_totals", table_name="request_open_day")
    op.drop_table("request_open_day")
