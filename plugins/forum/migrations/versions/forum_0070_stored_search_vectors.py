"""forum: stored tsvector columns for full-text search on PostgreSQL (search_tsv)

Revision ID: forum_0070
Revises: forum_0060
Create Date: 2026-12-03 09:30:00.000000

PostgreSQL only (SQLite searches with FTS5: nothing to do there). ``forum_post`` and
``forum_topic`` get ``search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple',
search_text)) STORED``, and the GIN indexes over the expression ``to_tsvector('simple',
search_text)`` are replaced by GIN indexes over that column (same names): a recheck or a
``ts_rank`` then reads the stored vector instead of computing it again for every row, and the
planner has statistics on the words (see ``plugins.forum.models.PG_SEARCH_DDL``).

Adding a stored generated column fills it for every existing row (PostgreSQL rewrites the
table under an exclusive lock: at a million posts allow for a minute or two of downtime).
The DDL is copied here, not imported from the models, so this script never changes when the
models do. Downgrade drops the columns and restores forum_0003's expression indexes.
"""

from alembic import op

revision = 'forum_0070'
down_revision = 'forum_0060'
branch_labels = None
depends_on = None

_TABLES = ("forum_post", "forum_topic")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_tsv")
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN search_tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_search_tsv ON {table} USING gin (search_tsv)")
        # statistics on the new column at once (the planner's choice between the GIN bitmap
        # and walking the primary key depends on them), not at autovacuum's next pass
        op.execute(f"ANALYZE {table}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_tsv")
        op.execute(f"ALTER TABLE {table} DROP COLUMN search_tsv")
        op.execute(
            f"CREATE INDEX ix_{table}_search_tsv ON {table} "
            "USING gin (to_tsvector('simple', search_text))"
        )
