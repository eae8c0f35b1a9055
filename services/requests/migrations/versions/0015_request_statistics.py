"""request statistics: the first answer's date on each request, and the monthly counts and answer-delay
histograms written with the requests (issue 18, point 6); backfilled from the requests already made

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("partner_request", sa.Column("answered_at", sa.DateTime(), nullable=True))
    op.create_index("ix_request_status_created", "partner_request", ["status", "created_at", "caisse_code"])
    op.create_table(
        "request_month_stat",
        sa.Column("caisse_code", sa.String(8), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("partner_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
    )
    op.create_index("ix_month_stat_totals", "request_month_stat", ["partner_id", "month"])
    op.create_table(
        "request_delay_stat",
        sa.Column("caisse_code", sa.String(8), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("bucket", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("answered", sa.Integer(), nullable=False),
    )
    from services.requests.statistics import rebuild

    rebuild(op.get_bind())


def downgrade():
    op.drop_table("request_delay_stat")
    op.drop_index("ix_month_stat_totals", table_name="request_month_stat")
    op.drop_table("request_month_stat")
    op.drop_index("ix_request_status_created", table_name="partner_request")
    with op.batch_alter_table("partner_request") as batch:
        batch.drop_column("answered_at")
