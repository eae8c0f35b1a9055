"""erasure record: the trace of an insured person's data erased on request

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "erasure_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("caisse_code", sa.String(8), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("agent_name", sa.String(170), nullable=False),
        sa.Column("request_count", sa.Integer(), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
    )


def downgrade():
    op.drop_table("erasure_record")
