"""business links and re-check requests

Revision ID: 3c9d2e7b41a6
Revises: 3c9d7e21a5b4
Create Date: 2026-12-06 06:30:00

The business's link to its site (a capability: the token derived from a nonce and the secret
key, stored as its SHA-256), the hidden link account of a site (`user.link_site_id`), and the
re-check applications (复查申请).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "3c9d2e7b41a6"
down_revision = "3c9d7e21a5b4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("link_site_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_user_link_site_id", "site", ["link_site_id"], ["id"])
        batch.create_unique_constraint("uq_user_link_site_id", ["link_site_id"])
    op.create_table(
        "business_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_business_link_site_id"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name="fk_business_link_user_id"),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], name="fk_business_link_notice_id"),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], name="fk_business_link_created_by"),
        sa.ForeignKeyConstraint(["revoked_by"], ["user.id"], name="fk_business_link_revoked_by"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_business_link_site_id", "business_link", ["site_id"])
    op.create_index("ix_business_link_user_id", "business_link", ["user_id"])
    op.create_index("ix_business_link_notice_id", "business_link", ["notice_id"])
    op.create_table(
        "recheck_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("via_link", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_recheck_request_site_id"),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["user.id"], name="fk_recheck_request_requested_by"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recheck_request_site_state", "recheck_request", ["site_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_recheck_request_site_state", table_name="recheck_request")
    op.drop_table("recheck_request")
    op.drop_index("ix_business_link_notice_id", table_name="business_link")
    op.drop_index("ix_business_link_user_id", table_name="business_link")
    op.drop_index("ix_business_link_site_id", table_name="business_link")
    op.drop_table("business_link")
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint("uq_user_link_site_id", type_="unique")
        batch.drop_constraint("fk_user_link_site_id", type_="foreignkey")
        batch.drop_column("link_site_id")
