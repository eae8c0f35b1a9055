"""caisse data-protection contact: shown on « Données personnelles » (services.accounts.caisse_settings)

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-02 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("caisse") as batch:
        batch.add_column(sa.Column("data_protection_email", sa.String(254), nullable=False, server_default=""))
        batch.add_column(sa.Column("data_protection_address", sa.String(300), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("caisse") as batch:
        batch.drop_column("data_protection_address")
        batch.drop_column("data_protection_email")
