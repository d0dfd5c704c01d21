"""notices and their counters

Revision ID: 8aeab686f88c
Revises: 5b7e0c2a9f14
Create Date: 2026-12-06 03:08:34

Rectification notices (整改通知书), numbered per subdistrict and office year through a counter
row; a subdistrict's notice prefix and re-check wording (empty: the defaults).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = "8aeab686f88c"
down_revision = "5b7e0c2a9f14"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_counter",
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name="fk_notice_counter_subdistrict_id"
        ),
        sa.PrimaryKeyConstraint("subdistrict_id", "year"),
    )
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspection.id"], name="fk_notice_inspection_id"
        ),
        sa.ForeignKeyConstraint(["issued_by"], ["user.id"], name="fk_notice_issued_by"),
        sa.ForeignKeyConstraint(["replaces_id"], ["notice.id"], name="fk_notice_replaces_id"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name="fk_notice_site_id"),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name="fk_notice_subdistrict_id"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("subdistrict_id", "year", "seq"),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        for column in ("inspection_id", "replaces_id", "site_id", "subdistrict_id"):
            batch_op.create_index(batch_op.f(f"ix_notice_{column}"), [column], unique=False)

    with op.batch_alter_table("subdistrict", schema=None) as batch_op:
        for column, length in (
            ("notice_prefix", 20),
            ("recheck_text_zh", 1000),
            ("recheck_text_en", 1000),
        ):
            batch_op.add_column(
                sa.Column(column, sa.String(length=length), nullable=False, server_default="")
            )


def downgrade() -> None:
    with op.batch_alter_table("subdistrict", schema=None) as batch_op:
        batch_op.drop_column("recheck_text_en")
        batch_op.drop_column("recheck_text_zh")
        batch_op.drop_column("notice_prefix")

    with op.batch_alter_table("notice", schema=None) as batch_op:
        for column in ("subdistrict_id", "site_id", "replaces_id", "inspection_id"):
            batch_op.drop_index(batch_op.f(f"ix_notice_{column}"))

    op.drop_table("notice")
    op.drop_table("notice_counter")
