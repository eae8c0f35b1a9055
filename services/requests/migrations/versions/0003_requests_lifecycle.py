"""requests lifecycle

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:08:09.427129
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('caisse_setting',
    sa.Column('caisse_code', sa.String(length=8), nullable=False),
    sa.Column('late_after_days', sa.Integer(), nullable=False),
    sa.Column('last_summary_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('caisse_code')
    )
    op.create_table('notification_preference',
    sa.Column('account_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status_changes', sa.Boolean(), nullable=False),
    sa.Column('messages', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('reference_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('request_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=170), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['partner_request.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_event_request_id'), ['request_id'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('storage_key', sa.String(length=80), nullable=False),
    sa.Column('filename', sa.String(length=160), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['request_event.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['partner_request.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('partner_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('convention_caisse_code', sa.String(length=8), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('insured_civility', sa.String(length=8), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('insured_last_name', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('insured_first_name', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('insured_birth_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('insured_department', sa.String(length=3), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('insured_key', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('delivery', sa.String(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('partner_habilitated', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('created_by_email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_request_caisse_status'))
        batch_op.create_index('ix_request_caisse_status', ['caisse_code', 'status', 'created_at'], unique=False)
        batch_op.drop_index(batch_op.f('ix_request_partner_created'))
        batch_op.create_index('ix_request_partner_created', ['partner_id', 'caisse_code', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_request_duplicate', ['partner_id', 'kind', 'insured_key'], unique=False)




def downgrade():
    with op.batch_alter_table('partner_request', schema=None) as batch_op:
        batch_op.drop_index('ix_request_duplicate')
        batch_op.drop_index('ix_request_partner_created')
        batch_op.create_index(batch_op.f('ix_request_partner_created'), ['partner_id', 'created_at', 'id'], unique=False)
        batch_op.drop_index('ix_request_caisse_status')
        batch_op.create_index(batch_op.f('ix_request_caisse_status'), ['caisse_code', 'status'], unique=False)
        batch_op.drop_column('closed_at')
        batch_op.drop_column('created_by_email')
        batch_op.drop_column('partner_habilitated')
        batch_op.drop_column('delivery')
        batch_op.drop_column('details')
        batch_op.drop_column('insured_key')
        batch_op.drop_column('insured_department')
        batch_op.drop_column('insured_birth_date')
        batch_op.drop_column('insured_first_name')
        batch_op.drop_column('insured_last_name')
        batch_op.drop_column('insured_civility')
        batch_op.drop_column('convention_caisse_code')

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_request_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_event_request_id'))

    op.drop_table('request_event')
    op.drop_table('reference_counter')
    op.drop_table('notification_preference')
    op.drop_table('caisse_setting')

