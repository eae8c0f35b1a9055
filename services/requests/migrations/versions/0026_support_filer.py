"""support reports limited per person (a few a minute, EP_SUPPORT_REPORTS_PER_HOUR an hour): the row each
person's filings lock, so that parallel ones are counted one after the other (services.requests.support)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "support_filer",
        sa.Column("reporter_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("filed", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade():
    op.drop_table("support_filer")
