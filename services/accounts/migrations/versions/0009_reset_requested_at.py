"""reset requested at: a password-reset link at most every few minutes per account (no mail bombing)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("reset_requested_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("account") as batch:
        batch.drop_column("reset_requested_at")
