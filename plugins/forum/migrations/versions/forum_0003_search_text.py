"""forum: search over normalised text (search_text) for Kazakh and Russian word forms

Revision ID: forum_0003_search_text
Revises: forum_0010_closed_sets
Create Date: 2026-12-02 02:10:00.000000

Comes after forum_0010_closed_sets, whose SQLite table rebuild recreates forum_0001's triggers
(over the raw text): this revision drops them and creates its own over ``search_text``.

Adds ``search_text`` to posts and topics (the forms of the body's and the title's words, from
``core.services.text.normalise``), fills it for existing rows in Python, and points the
full-text index at it: on SQLite the FTS5 triggers are recreated over ``search_text`` and the
FTS5 table refilled; on PostgreSQL the GIN indexes over ``to_tsvector('simple', body|title)``
are replaced by ones over ``search_text``. The DDL is copied here (not imported from the
models) so this script never changes when the models do. The backfill uses the normaliser as
it is today; when it changes later, ``qauym forum reindex`` recomputes the column.
"""

import sqlalchemy as sa
from alembic import op

from core.services.text import normalise

revision = 'forum_0003_search_text'
down_revision = 'forum_0010_closed_sets'
branch_labels = None
depends_on = None

_OLD_TRIGGERS = ["forum_post_fts_ai", "forum_post_fts_au", "forum_post_fts_ad", "forum_topic_fts_au"]

SQLITE_FTS_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS forum_post_fts_ai AFTER INSERT ON forum_post BEGIN "
    "INSERT INTO forum_post_fts(rowid, title, body) VALUES (new.id, "
    "CASE WHEN new.number = 1 THEN "
    "(SELECT search_text FROM forum_topic WHERE id = new.topic_id) "
    "ELSE '' END, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS forum_post_fts_au AFTER UPDATE OF search_text ON forum_post "
    "BEGIN UPDATE forum_post_fts SET body = new.search_text WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS forum_post_fts_ad AFTER DELETE ON forum_post BEGIN "
    "DELETE FROM forum_post_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS forum_topic_fts_au AFTER UPDATE OF search_text ON forum_topic "
    "BEGIN UPDATE forum_post_fts SET title = new.search_text WHERE rowid = "
    "(SELECT id FROM forum_post WHERE topic_id = new.id AND number = 1); END",
]
SQLITE_FTS_REFILL = [
    "DELETE FROM forum_post_fts",
    "INSERT INTO forum_post_fts(rowid, title, body) SELECT p.id, "
    "CASE WHEN p.number = 1 THEN t.search_text ELSE '' END, p.search_text "
    "FROM forum_post p JOIN forum_topic t ON t.id = p.topic_id",
]

# forum_0001's triggers and refill over the raw text, for downgrade.
SQLITE_RAW_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS forum_post_fts_ai AFTER INSERT ON forum_post BEGIN "
    "INSERT INTO forum_post_fts(rowid, title, body) VALUES (new.id, "
    "CASE WHEN new.number = 1 THEN (SELECT title FROM forum_topic WHERE id = new.topic_id) "
    "ELSE '' END, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS forum_post_fts_au AFTER UPDATE OF body ON forum_post BEGIN "
    "UPDATE forum_post_fts SET body = new.body WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS forum_post_fts_ad AFTER DELETE ON forum_post BEGIN "
    "DELETE FROM forum_post_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS forum_topic_fts_au AFTER UPDATE OF title ON forum_topic BEGIN "
    "UPDATE forum_post_fts SET title = new.title WHERE rowid = "
    "(SELECT id FROM forum_post WHERE topic_id = new.id AND number = 1); END",
]
SQLITE_RAW_REFILL = [
    "DELETE FROM forum_post_fts",
    "INSERT INTO forum_post_fts(rowid, title, body) SELECT p.id, "
    "CASE WHEN p.number = 1 THEN t.title ELSE '' END, p.body "
    "FROM forum_post p JOIN forum_topic t ON t.id = p.topic_id",
]


def _backfill(table: str, source: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, {source} FROM {table} ORDER BY id")).all()
    update = sa.text(f"UPDATE {table} SET search_text = :s WHERE id = :id")
    batch = []
    for row_id, value in rows:
        batch.append({"id": row_id, "s": normalise(value or "")})
        if len(batch) == 500:
            bind.execute(update, batch)
            batch = []
    if batch:
        bind.execute(update, batch)


def upgrade():
    # Plain ALTER TABLE (no batch copy): on SQLite a rebuilt table would lose its triggers.
    op.add_column(
        'forum_topic', sa.Column('search_text', sa.Text(), server_default='', nullable=False)
    )
    op.add_column(
        'forum_post', sa.Column('search_text', sa.Text(), server_default='', nullable=False)
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _OLD_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    _backfill("forum_topic", "title")
    _backfill("forum_post", "body")
    if dialect == "sqlite":
        for stmt in SQLITE_FTS_TRIGGERS + SQLITE_FTS_REFILL:
            op.execute(stmt)
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_forum_post_body_tsv")
        op.execute("DROP INDEX IF EXISTS ix_forum_topic_title_tsv")
        op.execute(
            "CREATE INDEX ix_forum_post_search_tsv ON forum_post "
            "USING gin (to_tsvector('simple', search_text))"
        )
        op.execute(
            "CREATE INDEX ix_forum_topic_search_tsv ON forum_topic "
            "USING gin (to_tsvector('simple', search_text))"
        )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _OLD_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_forum_post_search_tsv")
        op.execute("DROP INDEX IF EXISTS ix_forum_topic_search_tsv")
    op.drop_column('forum_post', 'search_text')
    op.drop_column('forum_topic', 'search_text')
    if dialect == "sqlite":
        for stmt in SQLITE_RAW_TRIGGERS + SQLITE_RAW_REFILL:
            op.execute(stmt)
    elif dialect == "postgresql":
        op.execute(
            "CREATE INDEX ix_forum_post_body_tsv ON forum_post "
            "USING gin (to_tsvector('simple', body))"
        )
        op.execute(
            "CREATE INDEX ix_forum_topic_title_tsv ON forum_topic "
            "USING gin (to_tsvector('simple', title))"
        )
