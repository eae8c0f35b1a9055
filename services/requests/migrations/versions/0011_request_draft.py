"""request draft: a form's typed input kept when the session expired (services.requests.drafts)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "request_draft",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("caisse_code", sa.String(8), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "kind", "caisse_code", name="uq_request_draft_form"),
    )
    op.create_index("ix_request_draft_account_id", "request_draft", ["account_id"])
    op.create_index("ix_request_draft_expires_at", "request_draft", ["expires_at"])


def downgrade():
    op.drop_table("request_draft")
