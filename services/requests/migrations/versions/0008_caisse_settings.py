"""caisse settings: documents offered, delivery policy, and the log of their changes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("caisse_setting") as batch:
        batch.add_column(sa.Column("documents", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("delivery", sa.String(20), nullable=False, server_default="portail_habilites"))
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
    op.create_table(
        "caisse_setting_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("caisse_code", sa.String(8), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(170), nullable=False),
        sa.Column("author_profile", sa.String(20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
    )
    op.create_index("ix_caisse_setting_change_caisse_code", "caisse_setting_change", ["caisse_code"])


def downgrade():
    op.drop_index("ix_caisse_setting_change_caisse_code", table_name="caisse_setting_change")
    op.drop_table("caisse_setting_change")
    with op.batch_alter_table("caisse_setting") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("delivery")
        batch.drop_column("documents")
