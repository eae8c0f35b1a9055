"""sign-in counters and known places: throttling keyed by the normalised address (known or not),
and the keyed hashes of the client addresses an account last signed in from

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_counter",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "known_place",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("place", sa.String(64), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "place", name="uq_known_place"),
    )
    op.create_index("ix_known_place_account_id", "known_place", ["account_id"])


def downgrade():
    op.drop_index("ix_known_place_account_id", table_name="known_place")
    op.drop_table("known_place")
    op.drop_table("sign_in_counter")
