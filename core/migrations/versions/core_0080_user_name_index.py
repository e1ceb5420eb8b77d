"""core: an index for substring searches of users' names

On SQLite an FTS5 table ``core_user_name_fts`` (trigram tokenizer, rowid = user id) kept by
triggers; on PostgreSQL a pg_trgm GIN index over ``core_user.name_folded``. Name searches
of three characters or more (the site search's people, contacts, mention suggestions,
member lists) then no longer read every name. A PostgreSQL server without the pg_trgm
extension (or a role that may not create it) gets no index: searches work as before.

Revision ID: core_0080
Revises: core_0070
Create Date: 2026-12-03 13:00:00
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = 'core_0080'
down_revision = 'core_0070'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')

# The statements of core.models.substring_index_ddl for core_user.name_folded as they were when
# this migration was written.
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS core_user_name_fts USING fts5("
    "name_folded, tokenize='trigram', detail='full')",
    "CREATE TRIGGER IF NOT EXISTS core_user_name_fts_ai AFTER INSERT ON core_user BEGIN "
    "INSERT INTO core_user_name_fts(rowid, name_folded) VALUES (new.id, new.name_folded); END",
    "CREATE TRIGGER IF NOT EXISTS core_user_name_fts_au AFTER UPDATE OF name_folded ON core_user "
    "BEGIN UPDATE core_user_name_fts SET name_folded = new.name_folded WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS core_user_name_fts_ad AFTER DELETE ON core_user BEGIN "
    "DELETE FROM core_user_name_fts WHERE rowid = old.id; END",
    "INSERT INTO core_user_name_fts(rowid, name_folded) SELECT id, name_folded FROM core_user",
]
PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_core_user_name_trgm ON core_user "
    "USING gin (name_folded gin_trgm_ops)"
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
                'pg_trgm is not available (%s): names are searched without an index',
                str(exc).splitlines()[0],
            )
            return
        op.execute(PG_INDEX)


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        for name in ('ai', 'au', 'ad'):
            op.execute(f'DROP TRIGGER IF EXISTS core_user_name_fts_{name}')
        op.execute('DROP TABLE IF EXISTS core_user_name_fts')
    elif conn.dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_core_user_name_trgm')
