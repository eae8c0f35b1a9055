"""sessions.login_ticket: the nonce of the login ticket (code step, profile choice) that opened the session,
unique, so that a ticket opens one session only, however often or in parallel it is sent again

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("sessions", sa.Column("login_ticket", sa.String(32), nullable=True))
    op.create_index("ux_sessions_login_ticket", "sessions", ["login_ticket"], unique=True)


def downgrade():
    op.drop_index("ux_sessions_login_ticket", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("login_ticket")
