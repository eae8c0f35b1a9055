"""caisse departments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:08:19.224929
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('caisse', schema=None) as batch_op:
        batch_op.add_column(sa.Column('departments', sa.JSON(), nullable=False, server_default='[]'))



def downgrade():
    with op.batch_alter_table('caisse', schema=None) as batch_op:
        batch_op.drop_column('departments')

