"""campaign read indexes: a round's coverage counted from indexes alone

Revision ID: 5b7e0c2a9f14
Revises: d1e41285c8f8
Create Date: 2026-12-06 03:00:00

A round's sites are its campaign's scope read live, joined to what the round did at each
(`round_site`, by round and site). Counting them by team, building and kind needs only the
scope's columns of `site`: with them in one index the site rows are not read at all. On SQLite,
`round_site` is stored in its primary key (WITHOUT ROWID), so looking a site up in a round reads
its state in the same step instead of a second lookup by rowid (the coverage of a round over
5,200 sites: 5.7 -> 4.0 ms; its uncovered count: 2.2 -> 0.8 ms). PostgreSQL has no such option
and needs none.
"""

from __future__ import annotations

from alembic import op

revision = "5b7e0c2a9f14"
down_revision = "d1e41285c8f8"
branch_labels = None
depends_on = None


def _round_site_rowid(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "round_site", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
    ):
        pass


def upgrade() -> None:
    op.create_index(
        "ix_site_scope",
        "site",
        ["subdistrict_id", "kind", "team_id", "parent_id", "active", "created_at"],
    )
    _round_site_rowid(False)
    # What a round's kept counts are checked against (campaigns.coverage.round_version).
    op.create_index("ix_site_subdistrict_updated", "site", ["subdistrict_id", "updated_at"])
    op.create_index("ix_site_subdistrict_newest", "site", ["subdistrict_id", "id"])
    op.create_index("ix_round_site_updated", "round_site", ["round_id", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_round_site_updated", table_name="round_site")
    op.drop_index("ix_site_subdistrict_newest", table_name="site")
    op.drop_index("ix_site_subdistrict_updated", table_name="site")
    _round_site_rowid(True)
    op.drop_index("ix_site_scope", table_name="site")
