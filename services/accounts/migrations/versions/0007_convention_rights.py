"""convention rights: proposals, per-convention suspension, notice, coming-end email, partner referent;
the caisse that made a fraud/loss/theft inactivation (services.accounts.access, .conventions)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

CONVENTION_COLUMNS = ("suspended_at", "notice_given_at", "notice_by", "end_notice_sent_for", "partner_referent",
                      "proposed_by_name", "answered_at", "answered_by_name")


def upgrade():
    with op.batch_alter_table("convention") as batch:
        batch.add_column(sa.Column("suspended_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("notice_given_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("notice_by", sa.String(10), nullable=True))
        batch.add_column(sa.Column("end_notice_sent_for", sa.Date(), nullable=True))
        batch.add_column(sa.Column("partner_referent", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("proposed_by_name", sa.String(170), nullable=False, server_default=""))
        batch.add_column(sa.Column("answered_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("answered_by_name", sa.String(170), nullable=False, server_default=""))
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("inactivated_by_caisse_id", sa.Integer(), nullable=True))
    # A suspension decided by a caisse used to cut the whole partner off: it now cuts it off that
    # caisse only, so an existing one becomes the suspension of each active convention.
    partner = sa.table("partner", sa.column("id"), sa.column("suspended_at"))
    convention = sa.table("convention", sa.column("partner_id"), sa.column("status"), sa.column("suspended_at"))
    suspended = sa.select(partner.c.suspended_at).where(partner.c.id == convention.c.partner_id).scalar_subquery()
    op.execute(convention.update().where(convention.c.status == "active").values(suspended_at=suspended))
    op.execute(partner.update().values(suspended_at=None))


def downgrade():
    with op.batch_alter_table("account") as batch:
        batch.drop_column("inactivated_by_caisse_id")
    with op.batch_alter_table("convention") as batch:
        for column in reversed(CONVENTION_COLUMNS):
            batch.drop_column(column)
