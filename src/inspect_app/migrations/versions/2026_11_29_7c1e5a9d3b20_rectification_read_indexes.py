"""rectification read indexes: a scope's items site by site (the list, the overdue board)

Revision ID: 7c1e5a9d3b20
Revises: 2ea20546062d
Create Date: 2026-11-29 08:00:00
"""

from __future__ import annotations

from alembic import op

revision = "7c1e5a9d3b20"
down_revision = "2ea20546062d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_rectification_site_status_deadline",
        "rectification",
        ["site_id", "status", "deadline"],
    )
    op.create_index(
        "ix_rectification_site_resolved_at", "rectification", ["site_id", "resolved_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_rectification_site_resolved_at", table_name="rectification")
    op.drop_index("ix_rectification_site_status_deadline", table_name="rectification")
