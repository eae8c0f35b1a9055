"""event outbox: events written with the change that causes them (services.common.event_outbox)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:00:00
"""
from alembic import op

from services.common import event_outbox

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    event_outbox.create_table(op)


def downgrade():
    event_outbox.drop_table(op)
