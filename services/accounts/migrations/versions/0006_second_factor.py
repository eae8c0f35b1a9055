"""second factor: TOTP secrets, recovery codes, caisse setting, re-authentication time (services.accounts.second_factor)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(200), nullable=True))
        batch.add_column(sa.Column("totp_pending_secret", sa.String(200), nullable=True))
        batch.add_column(sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("caisse") as batch:
        batch.add_column(sa.Column("partners_second_factor", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("reauthenticated_at", sa.DateTime(), nullable=True))
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_recovery_code_account_id", "recovery_code", ["account_id"])


def downgrade():
    op.drop_index("ix_recovery_code_account_id", table_name="recovery_code")
    op.drop_table("recovery_code")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("reauthenticated_at")
    with op.batch_alter_table("caisse") as batch:
        batch.drop_column("partners_second_factor")
    with op.batch_alter_table("account") as batch:
        for column in ("totp_last_step", "totp_enabled_at", "totp_pending_secret", "totp_secret"):
            batch.drop_column(column)
