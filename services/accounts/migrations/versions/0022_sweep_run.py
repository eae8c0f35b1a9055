"""sweep_run: the last run of each scheduled sweep (when, how long, outcome), for the supervision screen
(services.common.sweep_runs)

Revision ID: 0022
Revises: 0014
Create Date: 2026-12-02 06:00:00
"""
from alembic import op

from services.common import sweep_runs

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    sweep_runs.create_table(op)


def downgrade():
    sweep_runs.drop_table(op)
