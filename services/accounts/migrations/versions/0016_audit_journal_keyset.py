"""the journal of actions at any volume (issue 17, point 2): each scope key's entries in (at, id)
order, so the page merges a few index ranges instead of sorting every matching entry

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 06:00:00
"""
from alembic import op

revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None

INDEXES = {"ix_audit_partner_at": "partner_id", "ix_audit_caisse_at": "caisse_id"}


def upgrade():
    for name, column in INDEXES.items():
        op.drop_index(name, table_name="audit_entry")
        op.create_index(name, "audit_entry", [column, "at", "id"])


def downgrade():
    for name, column in INDEXES.items():
        op.drop_index(name, table_name="audit_entry")
        op.create_index(name, "audit_entry", [column, "at"])
