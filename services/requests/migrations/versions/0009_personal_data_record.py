"""personal data record: finding and exporting a person's data are traced like erasing it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.rename_table("erasure_record", "personal_data_record")
    with op.batch_alter_table("personal_data_record") as batch:
        batch.add_column(sa.Column("action", sa.String(10), nullable=False, server_default="erase"))


def downgrade():
    op.execute(sa.text("DELETE FROM personal_data_record WHERE action <> 'erase'"))
    with op.batch_alter_table("personal_data_record") as batch:
        batch.drop_column("action")
    op.rename_table("personal_data_record", "erasure_record")
