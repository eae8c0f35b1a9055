"""the statistics page read from covering indexes: the caisses' monthly totals (partner 0) and the delay histograms
with their counts in the index, so that reading them does not grow with the rows of every partner around them

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 07:05:00
"""
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_month_stat_totals", table_name="request_month_stat")
    op.create_index("ix_month_stat_totals", "request_month_stat",
                    ["partner_id", "month", "kind", "caisse_code", "filed", "answered"])
    op.create_index("ix_delay_stat_read", "request_delay_stat", ["caisse_code", "month", "kind", "bucket", "answered"])


def downgrade():
    op.drop_index("ix_delay_stat_read", table_name="request_delay_stat")
    op.drop_index("ix_month_stat_totals", table_name="request_month_stat")
    op.create_index("ix_month_stat_totals", "request_month_stat", ["partner_id", "month"])
