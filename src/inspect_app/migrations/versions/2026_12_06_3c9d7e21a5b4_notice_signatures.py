"""notice signatures

Revision ID: 3c9d7e21a5b4
Revises: a49344a0103f
Create Date: 2026-12-06 06:10:00

Signatures on a rectification notice (the inspector's, the representative's or their refusal
with a witness), each with the notice's hash sealed after it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "3c9d7e21a5b4"
down_revision = "a49344a0103f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("signer_name", sa.String(length=80), nullable=False),
        sa.Column("witness_name", sa.String(length=80), nullable=False),
        sa.Column("svg", sa.Text(), nullable=True),
        sa.Column("svg_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notice.id"], name="fk_notice_signature_notice_id"),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["user.id"], name="fk_notice_signature_recorded_by"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id", "slot"),
        sa.UniqueConstraint("uuid"),
    )
    with op.batch_alter_table("notice_signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notice_signature_notice_id"), ["notice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notice_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_signature_notice_id"))
    op.drop_table("notice_signature")
