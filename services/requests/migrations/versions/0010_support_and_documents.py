"""support reports and the portal's documentation (issue 15, points 3 and 4)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "support_report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("caisse_code", sa.String(8), nullable=False),
        sa.Column("caisse_name", sa.String(120), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("happened_at", sa.DateTime, nullable=False),
        sa.Column("page", sa.String(300), nullable=False),
        sa.Column("reporter_id", sa.Integer, nullable=False),
        sa.Column("reporter_profile", sa.String(20), nullable=False),
        sa.Column("reporter_name", sa.String(170), nullable=False),
        sa.Column("reporter_email", sa.String(254), nullable=False),
        sa.Column("partner_id", sa.Integer),
        sa.Column("partner_name", sa.String(200), nullable=False),
        sa.Column("screenshot_key", sa.String(80)),
        sa.Column("screenshot_filename", sa.String(160), nullable=False),
        sa.Column("screenshot_type", sa.String(40), nullable=False),
        sa.Column("screenshot_size", sa.Integer, nullable=False),
        sa.Column("screenshot_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_support_queue", "support_report", ["level", "caisse_code", "status", "id"])
    op.create_index("ix_support_reporter", "support_report", ["reporter_id", "id"])
    op.create_index("ix_support_partner", "support_report", ["partner_id", "id"])
    op.create_table(
        "support_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("support_report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("author_id", sa.Integer),
        sa.Column("author_name", sa.String(170), nullable=False),
        sa.Column("side", sa.String(10), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("to_status", sa.String(20)),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_support_event_report_id", "support_event", ["report_id"])
    op.create_table(
        "document",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("series_id", sa.Integer),
        sa.Column("caisse_code", sa.String(8), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("version", sa.String(30), nullable=False),
        sa.Column("storage_key", sa.String(80), nullable=False),
        sa.Column("filename", sa.String(160), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("published_at", sa.DateTime, nullable=False),
        sa.Column("author_id", sa.Integer),
        sa.Column("author_name", sa.String(170), nullable=False),
    )
    op.create_index("ix_document_caisse", "document", ["caisse_code", "series_id", "id"])
    op.create_index("ix_document_series_id", "document", ["series_id"])


def downgrade():
    op.drop_table("document")
    op.drop_table("support_event")
    op.drop_table("support_report")
