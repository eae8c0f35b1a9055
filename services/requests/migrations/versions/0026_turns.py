"""turn: a row per scope that a check-then-write takes first in its transaction (a person's support reports, a
partner's submissions), so that parallel ones check one after the other (services.requests.turns)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "turn",
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("taken", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade():
    op.drop_table("turn")
