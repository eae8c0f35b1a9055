"""partner history indexes in page order: (partner_id, created_at, id), since the history filters
on the convention's caisses (one or several), not the processing caisse, so 0003's
(partner_id, caisse_code, …) index left every page sorting all of the partner's requests; and
(partner_id, kind, created_at, id) for the history filtered by kind

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:00:00
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('partner_request', schema=None) as batch_op:
        batch_op.drop_index('ix_request_partner_created')
        batch_op.create_index('ix_request_partner_created', ['partner_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_request_partner_kind', ['partner_id', 'kind', 'created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('partner_request', schema=None) as batch_op:
        batch_op.drop_index('ix_request_partner_kind')
        batch_op.drop_index('ix_request_partner_created')
        batch_op.create_index('ix_request_partner_created', ['partner_id', 'caisse_code', 'created_at', 'id'],
                              unique=False)
