"""author name kept on each request

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('partner_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_name', sa.String(length=170), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('partner_request', schema=None) as batch_op:
        batch_op.drop_column('created_by_name')
