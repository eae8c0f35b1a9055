"""caisse staff and settings: the « administrateur de caisse » role, the caisse's rules and referents
(services.accounts.staff, services.accounts.caisse_settings)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:00:00
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("caisse_admin", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("caisse") as batch:
        batch.add_column(sa.Column("technicien_inactivity", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("technicien_inactivity_days", sa.Integer(), nullable=False, server_default="90"))
        batch.add_column(sa.Column("technicien_inactivity_warning_days", sa.Integer(), nullable=False,
                                   server_default="15"))
        batch.add_column(sa.Column("technicien_caps", sa.Boolean(), nullable=False, server_default=sa.true()))
    # Referents: {name, function, phone, email} -> {kind, name, function, phones: [..], email}.
    connection = op.get_bind()
    for caisse_id, referents in connection.execute(sa.text("SELECT id, referents FROM caisse")).all():
        entries = json.loads(referents) if isinstance(referents, str) else referents or []
        reshaped = [{"kind": "person", "name": r.get("name", ""), "function": r.get("function", ""),
                     "phones": [r["phone"]] if r.get("phone") else [], "email": r.get("email", "")}
                    for r in entries if "phones" not in r] + [r for r in entries if "phones" in r]
        connection.execute(sa.text("UPDATE caisse SET referents = :referents WHERE id = :id"),
                           {"referents": json.dumps(reshaped), "id": caisse_id})
    # Every caisse keeps an administrateur: its first active agent.
    connection.execute(sa.text(
        "UPDATE account SET caisse_admin = :yes WHERE id IN (SELECT MIN(id) FROM account "
        "WHERE profile = 'agent_caisse' AND status = 'active' GROUP BY caisse_id)"), {"yes": True})


def downgrade():
    connection = op.get_bind()
    for caisse_id, referents in connection.execute(sa.text("SELECT id, referents FROM caisse")).all():
        entries = json.loads(referents) if isinstance(referents, str) else referents or []
        flat = [{"name": r.get("name", ""), "function": r.get("function", ""),
                 "phone": ", ".join(r.get("phones") or []), "email": r.get("email", "")} for r in entries]
        connection.execute(sa.text("UPDATE caisse SET referents = :referents WHERE id = :id"),
                           {"referents": json.dumps(flat), "id": caisse_id})
    with op.batch_alter_table("caisse") as batch:
        for column in ("technicien_caps", "technicien_inactivity_warning_days", "technicien_inactivity_days",
                       "technicien_inactivity"):
            batch.drop_column(column)
    with op.batch_alter_table("account") as batch:
        batch.drop_column("caisse_admin")
