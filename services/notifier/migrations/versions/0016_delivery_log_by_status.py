"""the delivery log filtered by status at any volume (issue 17, point 2): the status's messages in id
order, merged with the caisse's index

Revision ID: 0016
Revises: 0003
Create Date: 2026-12-02 06:10:00
"""
from alembic import op

revision = '0016'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_outbox_status_id", "outbox_message", ["status", "id"])


def downgrade():
    op.drop_index("ix_outbox_status_id", table_name="outbox_message")
