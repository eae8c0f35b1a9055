"""idempotency key of a request's submission

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('partner_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_request_idempotency', ['created_by', 'idempotency_key'])


def downgrade():
    with op.batch_alter_table('partner_request', schema=None) as batch_op:
        batch_op.drop_constraint('uq_request_idempotency', type_='unique')
        batch_op.drop_column('idempotency_key')
