"""masterclasses: an index for substring searches of events' folded text

On SQLite an FTS5 table ``masterclasses_event_search_fts`` (trigram tokenizer, rowid = event
id) kept by triggers, filled with the events already there; on PostgreSQL a pg_trgm GIN
index over ``masterclasses_event.search_folded``. Searches of three characters or more (the
site search, the event list's search) then no longer read every event's text. A PostgreSQL
server without the pg_trgm extension (or a role that may not create it) gets no index:
searches work as before.

Revision ID: masterclasses_0040
Revises: masterclasses_0030
Create Date: 2026-12-03 18:00:00
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = 'masterclasses_0040'
down_revision = 'masterclasses_0030'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')

# The statements of core.models.substring_index_ddl for masterclasses_event.search_folded as they
# were when this migration was written.
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS masterclasses_event_search_fts USING fts5("
    "search_folded, tokenize='trigram', detail='full')",
    "CREATE TRIGGER IF NOT EXISTS masterclasses_event_search_fts_ai AFTER INSERT ON masterclasses_event BEGIN "
    "INSERT INTO masterclasses_event_search_fts(rowid, search_folded) VALUES (new.id, new.search_folded); END",
    "CREATE TRIGGER IF NOT EXISTS masterclasses_event_search_fts_au AFTER UPDATE OF search_folded ON masterclasses_event "
    "BEGIN UPDATE masterclasses_event_search_fts SET search_folded = new.search_folded WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS masterclasses_event_search_fts_ad AFTER DELETE ON masterclasses_event BEGIN "
    "DELETE FROM masterclasses_event_search_fts WHERE rowid = old.id; END",
    "INSERT INTO masterclasses_event_search_fts(rowid, search_folded) SELECT id, search_folded FROM masterclasses_event",
]
PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_masterclasses_event_search_trgm ON masterclasses_event "
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
                'pg_trgm is not available (%s): events are searched without an index',
                str(exc).splitlines()[0],
            )
            return
        op.execute(PG_INDEX)


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        for name in ('ai', 'au', 'ad'):
            op.execute(f'DROP TRIGGER IF EXISTS masterclasses_event_search_fts_{name}')
        op.execute('DROP TABLE IF EXISTS masterclasses_event_search_fts')
    elif conn.dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_masterclasses_event_search_trgm')
