"""account requests: the partner asks its caisse (habilitation, departure, correction, fraud report), with a timeline

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("partner_id", sa.Integer(), sa.ForeignKey("partner.id"), nullable=False),
        sa.Column("caisse_id", sa.Integer(), sa.ForeignKey("caisse.id"), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="SET NULL"), nullable=True),
        sa.Column("account_name", sa.String(170), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("account.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_by_name", sa.String(170), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("wanted_date", sa.Date(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_name", sa.String(170), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
    )
    op.create_index("ix_account_request_caisse_status", "account_request", ["caisse_id", "status"])
    op.create_index("ix_account_request_partner", "account_request", ["partner_id", "created_at"])
    op.create_table(
        "account_request_step",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("account_request.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_name", sa.String(170), nullable=False),
        sa.Column("side", sa.String(10), nullable=False),
        sa.Column("what", sa.String(500), nullable=False),
    )
    op.create_index("ix_account_request_step_request_id", "account_request_step", ["request_id"])


def downgrade():
    op.drop_index("ix_account_request_step_request_id", "account_request_step")
    op.drop_table("account_request_step")
    op.drop_index("ix_account_request_partner", "account_request")
    op.drop_index("ix_account_request_caisse_status", "account_request")
    op.drop_table("account_request")
