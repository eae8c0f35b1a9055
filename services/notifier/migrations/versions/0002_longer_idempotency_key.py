"""longer idempotency key

The key is now "<event type>:<event_id>:<recipient email>" (one email per
recipient per event); an email address alone may take 254 characters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=120), type_=sa.String(length=400),
                              existing_nullable=False)


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('idempotency_key', existing_type=sa.String(length=400), type_=sa.String(length=120),
                              existing_nullable=False)
