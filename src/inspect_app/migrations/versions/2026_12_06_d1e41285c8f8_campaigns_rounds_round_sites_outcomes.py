"""campaigns: rounds, round sites, outcomes

Revision ID: d1e41285c8f8
Revises: 936e156ef493
Create Date: 2026-12-06 02:10:10

Campaigns, their rounds, what a round did at a site (assignment, coverage), outcomes recorded on
the spot; inspections may name the round they were started from; a photo may be of a site.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = "d1e41285c8f8"
down_revision = "936e156ef493"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("scope_kinds", sa.String(length=100), nullable=False),
        sa.Column("scope_site_id", sa.Integer(), nullable=True),
        sa.Column("scope_team_id", sa.Integer(), nullable=True),
        sa.Column("include_later", sa.Boolean(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("repeat", sa.String(length=20), nullable=False),
        sa.Column("repeat_every", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["scope_site_id"],
            ["site.id"],
        ),
        sa.ForeignKeyConstraint(
            ["scope_team_id"],
            ["team.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["checklist_template.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_subdistrict_id"), ["subdistrict_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_campaign_template_id"), ["template_id"], unique=False)

    op.create_table(
        "campaign_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "number"),
    )
    with op.batch_alter_table("campaign_round", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_round_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_campaign_round_ends_on"), ["ends_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_campaign_round_starts_on"), ["starts_on"], unique=False
        )

    op.create_table(
        "campaign_site",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("campaign_id", "site_id"),
    )
    with op.batch_alter_table("campaign_site", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_site_site_id"), ["site_id"], unique=False)

    op.create_table(
        "site_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["campaign_round.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    with op.batch_alter_table("site_outcome", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_outcome_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_site_outcome_site_id"), ["site_id"], unique=False)

    op.create_table(
        "round_site",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("inspector_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("failing", sa.Boolean(), nullable=False),
        sa.Column("covered_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["campaign_round.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
        ),
        sa.PrimaryKeyConstraint("round_id", "site_id"),
    )
    with op.batch_alter_table("round_site", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_round_site_inspection_id"), ["inspection_id"], unique=False
        )
        batch_op.create_index("ix_round_site_inspector", ["inspector_id", "round_id"], unique=False)
        batch_op.create_index("ix_round_site_round_state", ["round_id", "state"], unique=False)
        batch_op.create_index("ix_round_site_team", ["team_id", "round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_round_site_site_id"), ["site_id"], unique=False)

    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_inspection_round_id"), ["round_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_inspection_round_id", "campaign_round", ["round_id"], ["id"]
        )

    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outcome_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_photo_outcome_id"), ["outcome_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_photo_site_id"), ["site_id"], unique=False)
        batch_op.create_foreign_key("fk_photo_outcome_id", "site_outcome", ["outcome_id"], ["id"])
        batch_op.create_foreign_key("fk_photo_site_id", "site", ["site_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_constraint("fk_photo_site_id", type_="foreignkey")
        batch_op.drop_constraint("fk_photo_outcome_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_photo_site_id"))
        batch_op.drop_index(batch_op.f("ix_photo_outcome_id"))
        batch_op.drop_column("outcome_id")
        batch_op.drop_column("site_id")

    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_constraint("fk_inspection_round_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_inspection_round_id"))
        batch_op.drop_column("round_id")

    with op.batch_alter_table("round_site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_site_site_id"))
        batch_op.drop_index("ix_round_site_team")
        batch_op.drop_index("ix_round_site_round_state")
        batch_op.drop_index("ix_round_site_inspector")
        batch_op.drop_index(batch_op.f("ix_round_site_inspection_id"))

    op.drop_table("round_site")
    with op.batch_alter_table("site_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_outcome_site_id"))
        batch_op.drop_index(batch_op.f("ix_site_outcome_round_id"))

    op.drop_table("site_outcome")
    with op.batch_alter_table("campaign_site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_site_site_id"))

    op.drop_table("campaign_site")
    with op.batch_alter_table("campaign_round", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_round_starts_on"))
        batch_op.drop_index(batch_op.f("ix_campaign_round_ends_on"))
        batch_op.drop_index(batch_op.f("ix_campaign_round_campaign_id"))

    op.drop_table("campaign_round")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_template_id"))
        batch_op.drop_index(batch_op.f("ix_campaign_subdistrict_id"))

    op.drop_table("campaign")
