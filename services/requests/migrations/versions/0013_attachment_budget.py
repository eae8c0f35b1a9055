"""attachment budget: files attached per request side and per person per day (issue 16)

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # A request's row is made on its first use from the files it already has (services.requests.quotas).
    op.create_table(
        "attachment_budget",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("owner", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(10), nullable=False, server_default=""),
        sa.Column("files", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("bytes", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade():
    op.drop_table("attachment_budget")
