"""event outbox: the correlation id of the request that emitted each event, sent with it (contracts/logs.py)

Revision ID: 0021
Revises: 0014
Create Date: 2026-12-02 06:00:00
"""
from alembic import op

from services.common import event_outbox

revision = '0021'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    event_outbox.add_correlation_column(op)


def downgrade():
    event_outbox.drop_correlation_column(op)
