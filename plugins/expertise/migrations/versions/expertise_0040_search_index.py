"""expertise: an index for substring searches of library materials' folded text

On SQLite an FTS5 table ``expertise_submission_search_fts`` (trigram tokenizer, rowid =
submission id) kept by triggers, filled with the materials already there; on PostgreSQL a
pg_trgm GIN index over ``expertise_submission.search_folded``. Searches of three characters
or more (the site search, the library's search) then no longer read every material's text. A
PostgreSQL server without the pg_trgm extension (or a role that may not create it) gets no
index: searches work as before.

Revision ID: expertise_0040_search_index
Revises: expertise_0030_search_folded
Create Date: 2026-12-03 18:00:00
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = 'expertise_0040_search_index'
down_revision = 'expertise_0030_search_folded'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')

# The statements of core.models.substring_index_ddl for expertise_submission.search_folded as they
# were when this migration was written.
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS expertise_submission_search_fts USING fts5("
    "search_folded, tokenize='trigram', detail='full')",
    "CREATE TRIGGER IF NOT EXISTS expertise_submission_search_fts_ai AFTER INSERT ON expertise_submission BEGIN "
    "INSERT INTO expertise_submission_search_fts(rowid, search_folded) VALUES (new.id, new.search_folded); END",
    "CREATE TRIGGER IF NOT EXISTS expertise_submission_search_fts_au AFTER UPDATE OF search_folded ON expertise_submission "
    "BEGIN UPDATE expertise_submission_search_fts SET search_folded = new.search_folded WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS expertise_submission_search_fts_ad AFTER DELETE ON expertise_submission BEGIN "
    "DELETE FROM expertise_submission_search_fts WHERE rowid = old.id; END",
    "INSERT INTO expertise_submission_search_fts(rowid, search_folded) SELECT id, search_folded FROM expertise_submission",
]
PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_expertise_submission_search_trgm ON expertise_submission "
    "USING gin (search_folded gin_trgm_ops)"
)


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        for stmt in SQLITE:
            op.execute(stmt)
    elif conn.dialect.name == 'postgresql':
        try:
            with conn.begin_nested():
                conn.execute(sa.text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
        except sa.exc.DBAPIError as exc:
            log.warning(
                'pg_trgm is not available (%s): library materials are searched without an index',
                str(exc).splitlines()[0],
            )
            return
        op.execute(PG_INDEX)


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        for name in ('ai', 'au', 'ad'):
            op.execute(f'DROP TRIGGER IF EXISTS expertise_submission_search_fts_{name}')
        op.execute('DROP TABLE IF EXISTS expertise_submission_search_fts')
    elif conn.dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_expertise_submission_search_trgm')
