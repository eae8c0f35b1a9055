"""outbox: the correlation id of the request that caused each email, on its send log line (contracts/logs.py)

Revision ID: 0021
Revises: 0003
Create Date: 2026-12-02 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("correlation_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("correlation_id")
