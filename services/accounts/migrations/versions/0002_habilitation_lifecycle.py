"""habilitation lifecycle

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:28:37.063493
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=170), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('target_name', sa.String(length=170), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('caisse_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_caisse_at', ['caisse_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_partner_at', ['partner_id', 'at'], unique=False)

    op.create_table('convention',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('caisse_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('tacit_renewal', sa.Boolean(), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['caisse_id'], ['caisse.id'], ),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('convention', schema=None) as batch_op:
        batch_op.create_index('ix_convention_partner_caisse', ['partner_id', 'caisse_id'], unique=False)

    op.create_table('habilitation_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('caisse_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('requested_by_name', sa.String(length=170), nullable=False),
    sa.Column('last_reminder_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_by_name', sa.String(length=170), nullable=True),
    sa.ForeignKeyConstraint(['caisse_id'], ['caisse.id'], ),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('habilitation_review', schema=None) as batch_op:
        batch_op.create_index('ix_review_partner_open', ['partner_id', 'confirmed_at'], unique=False)

    op.create_table('password_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_history_account_id'), ['account_id'], unique=False)

    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('function', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_by_name', sa.String(length=170), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('gestionnaire_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cgu_version', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('activity_at', sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()))
        batch_op.add_column(sa.Column('inactivity_warned_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('inactivated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('inactivation_reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_failed_login_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_account_partner_id'), ['partner_id'], unique=False)
        batch_op.create_foreign_key('fk_account_created_by', 'account', ['created_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_account_gestionnaire', 'account', ['gestionnaire_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('caisse', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('referents', sa.JSON(), nullable=False, server_default='[]'))

    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('siret', sa.String(length=14), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('member_count', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('habilitated_body', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('email_domains', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()))




def downgrade():
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.drop_column('created_at')
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('email_domains')
        batch_op.drop_column('habilitated_body')
        batch_op.drop_column('member_count')
        batch_op.drop_column('address')
        batch_op.drop_column('siret')

    with op.batch_alter_table('caisse', schema=None) as batch_op:
        batch_op.drop_column('referents')
        batch_op.drop_column('address')

    with op.batch_alter_table('account', schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint('fk_account_gestionnaire', type_='foreignkey')
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint('fk_account_created_by', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_account_partner_id'))
        batch_op.drop_column('locked_until')
        batch_op.drop_column('last_failed_login_at')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('inactivation_reason')
        batch_op.drop_column('inactivated_at')
        batch_op.drop_column('inactivity_warned_at')
        batch_op.drop_column('activity_at')
        batch_op.drop_column('cgu_version')
        batch_op.drop_column('gestionnaire_id')
        batch_op.drop_column('created_by_name')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('phone')
        batch_op.drop_column('function')

    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_history_account_id'))

    op.drop_table('password_history')
    with op.batch_alter_table('habilitation_review', schema=None) as batch_op:
        batch_op.drop_index('ix_review_partner_open')

    op.drop_table('habilitation_review')
    with op.batch_alter_table('convention', schema=None) as batch_op:
        batch_op.drop_index('ix_convention_partner_caisse')

    op.drop_table('convention')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_partner_at')
        batch_op.drop_index('ix_audit_caisse_at')

    op.drop_table('audit_entry')

