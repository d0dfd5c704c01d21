"""login limits and token expiry: device-cookie failures, lock rows, API token expiry

Revision ID: 936e156ef493
Revises: 7c1e5a9d3b20
Create Date: 2026-12-05 07:55:36

Tokens that exist at upgrade time get the default lifetime (90 days) from the upgrade, so no
integration stops without notice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "936e156ef493"
down_revision = "7c1e5a9d3b20"
branch_labels = None
depends_on = None

EXISTING_TOKEN_DAYS = 90


def upgrade() -> None:
    op.create_table(
        "login_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "username", "key"),
    )
    with op.batch_alter_table("login_lock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_lock_locked_until"), ["locked_until"])
        batch_op.create_index(batch_op.f("ix_login_lock_username"), ["username"])

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    api_token = sa.table("api_token", sa.column("expires_at", sa.DateTime(timezone=True)))
    expiry = datetime.now(UTC) + timedelta(days=EXISTING_TOKEN_DAYS)
    op.execute(api_token.update().values(expires_at=expiry))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )

    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("device", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_login_attempt_device"), ["device"])
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.alter_column("device", existing_type=sa.String(length=32), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempt_device"))
        batch_op.drop_column("device")

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")

    with op.batch_alter_table("login_lock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_lock_username"))
        batch_op.drop_index(batch_op.f("ix_login_lock_locked_until"))

    op.drop_table("login_lock")
