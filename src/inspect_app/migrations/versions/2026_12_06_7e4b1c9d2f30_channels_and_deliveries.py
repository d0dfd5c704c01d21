"""channels and deliveries

Revision ID: 7e4b1c9d2f30
Revises: 3c9d2e7b41a6
Create Date: 2026-12-06 18:20:00

Where reminders go besides the inbox (WeCom and DingTalk group robots, signed webhooks), and
each message's delivery to one of them: a job row claimed by the workers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "7e4b1c9d2f30"
down_revision = "3c9d2e7b41a6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name="fk_channel_subdistrict_id"
        ),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name="fk_channel_team_id"),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], name="fk_channel_created_by"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_channel_subdistrict_id", "channel", ["subdistrict_id"])
    op.create_index("ix_channel_team_id", "channel", ["team_id"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], name="fk_delivery_channel_id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_delivery_channel_id", "delivery", ["channel_id"])
    op.create_index("ix_delivery_state_next_at", "delivery", ["state", "next_at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_state_next_at", table_name="delivery")
    op.drop_index("ix_delivery_channel_id", table_name="delivery")
    op.drop_table("delivery")
    op.drop_index("ix_channel_team_id", table_name="channel")
    op.drop_index("ix_channel_subdistrict_id", table_name="channel")
    op.drop_table("channel")
