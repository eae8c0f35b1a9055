"""delivery log, maintenance, news and newsletter

Who each email went to (name, account, caisses: the caisse agent's log), extra headers
(List-Unsubscribe), resends; maintenance windows; news, subscriptions and digests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:36:48.696066
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('maintenance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caisse_code', sa.String(length=8), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('message', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('notified_version', sa.Integer(), nullable=True),
    sa.Column('notice_lease_until', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=170), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('maintenance', schema=None) as batch_op:
        batch_op.create_index('ix_maintenance_ends', ['ends_at'], unique=False)

    op.create_table('news',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caisse_code', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=170), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('news', schema=None) as batch_op:
        batch_op.create_index('ix_news_caisse', ['caisse_code', 'id'], unique=False)

    op.create_table('newsletter_digest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caisse_code', sa.String(length=8), nullable=False),
    sa.Column('first_news_id', sa.Integer(), nullable=False),
    sa.Column('last_news_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('caisse_code', 'last_news_id', name='uq_digest_caisse_news')
    )
    op.create_table('newsletter_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('caisse_code', sa.String(length=8), nullable=False),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'caisse_code', name='uq_subscription_account_caisse'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('newsletter_subscription', schema=None) as batch_op:
        batch_op.create_index('ix_subscription_caisse', ['caisse_code', 'subscribed', 'account_id'], unique=False)

    op.create_table('message_caisse',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('caisse_code', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_message.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'caisse_code')
    )
    with op.batch_alter_table('message_caisse', schema=None) as batch_op:
        batch_op.create_index('ix_message_caisse_code', ['caisse_code', 'message_id'], unique=False)

    op.create_table('message_resend',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=170), nullable=False),
    sa.Column('previous_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_message.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('message_resend', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_resend_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_name', sa.String(length=170), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('headers', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('headers')
        batch_op.drop_column('account_id')
        batch_op.drop_column('recipient_name')

    with op.batch_alter_table('message_resend', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_resend_message_id'))

    op.drop_table('message_resend')
    with op.batch_alter_table('message_caisse', schema=None) as batch_op:
        batch_op.drop_index('ix_message_caisse_code')

    op.drop_table('message_caisse')
    with op.batch_alter_table('newsletter_subscription', schema=None) as batch_op:
        batch_op.drop_index('ix_subscription_caisse')

    op.drop_table('newsletter_subscription')
    op.drop_table('newsletter_digest')
    with op.batch_alter_table('news', schema=None) as batch_op:
        batch_op.drop_index('ix_news_caisse')

    op.drop_table('news')
    with op.batch_alter_table('maintenance', schema=None) as batch_op:
        batch_op.drop_index('ix_maintenance_ends')

    op.drop_table('maintenance')
