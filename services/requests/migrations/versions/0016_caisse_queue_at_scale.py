"""the caisse's screens flat at any volume (issue 17, point 2): the queue's indexes in keyset order
(every status; one status with the id), and the counts and weekly trends kept in request_tally and
request_status_tally,
backfilled from the requests already made

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_request_caisse_created", "partner_request", ["caisse_code", "created_at", "id"])
    op.drop_index("ix_request_caisse_status", table_name="partner_request")
    op.create_index("ix_request_caisse_status", "partner_request", ["caisse_code", "status", "created_at", "id"])
    op.create_table(
        "request_tally",
        sa.Column("caisse_code", sa.String(8), primary_key=True),
        sa.Column("week", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(24), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "request_status_tally",
        sa.Column("caisse_code", sa.String(8), primary_key=True),
        sa.Column("status", sa.String(24), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    from services.requests.tally import rebuild_counts

    rebuild_counts(op.get_bind())


def downgrade():
    op.drop_table("request_status_tally")
    op.drop_table("request_tally")
    op.drop_index("ix_request_caisse_status", table_name="partner_request")
    op.create_index("ix_request_caisse_status", "partner_request", ["caisse_code", "status", "created_at"])
    op.drop_index("ix_request_caisse_created", table_name="partner_request")
