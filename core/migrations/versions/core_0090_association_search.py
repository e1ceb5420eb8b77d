"""core: associations' names, abbreviations and topic stored folded, with a substring index

``core_association.search_folded`` holds both languages' names, abbreviations and topic in
lower case in every alphabet (ё as е), kept by ``core.api.keep_folded``, filled here for the
associations already there. On SQLite an FTS5 table ``core_association_search_fts``
(trigram tokenizer, rowid = association id) kept by triggers; on PostgreSQL a pg_trgm GIN
index over the column. The site search then finds associations through the index instead
of calling a Python function for every association's six columns (25 ms a search at 5,000
associations on SQLite). A PostgreSQL server without the pg_trgm extension gets no index:
searches work, reading every row.

Revision ID: core_0090
Revises: core_0080
Create Date: 2026-12-06 22:30:00
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = 'core_0090'
down_revision = 'core_0080'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')

_SOURCES = ('name_kk', 'name_ru', 'abbr_kk', 'abbr_ru', 'topic_kk', 'topic_ru')
_assocs = sa.table(
    'core_association',
    sa.column('id', sa.Integer),
    sa.column('search_folded', sa.Text),
    *(sa.column(name, sa.Text) for name in _SOURCES),
)

# The statements of core.models.substring_index_ddl for core_association.search_folded as
# they were when this migration was written.
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS core_association_search_fts USING fts5("
    "search_folded, tokenize='trigram', detail='full')",
    "CREATE TRIGGER IF NOT EXISTS core_association_search_fts_ai AFTER INSERT ON core_association BEGIN "
    "INSERT INTO core_association_search_fts(rowid, search_folded) VALUES (new.id, new.search_folded); END",
    "CREATE TRIGGER IF NOT EXISTS core_association_search_fts_au AFTER UPDATE OF search_folded ON core_association "
    "BEGIN UPDATE core_association_search_fts SET search_folded = new.search_folded WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS core_association_search_fts_ad AFTER DELETE ON core_association BEGIN "
    "DELETE FROM core_association_search_fts WHERE rowid = old.id; END",
    "INSERT INTO core_association_search_fts(rowid, search_folded) SELECT id, search_folded FROM core_association",
]
PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_core_association_search_trgm ON core_association "
    "USING gin (search_folded gin_trgm_ops)"
)


def _folded(*values):
    # A copy of core.models.folded_text as it was when this migration was written.
    return '\n'.join((v or '').lower().replace('ё', 'е') for v in values if v)


def upgrade():
    with op.batch_alter_table('core_association', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('search_folded', sa.Text(), server_default='', nullable=False)
        )
    conn = op.get_bind()
    update = (
        _assocs.update()
        .where(_assocs.c.id == sa.bindparam('aid'))
        .values(search_folded=sa.bindparam('folded'))
    )
    last = 0
    while True:  # in batches by id: topics can be long
        rows = conn.execute(
            sa.select(_assocs.c.id, *(_assocs.c[name] for name in _SOURCES))
            .where(_assocs.c.id > last)
            .order_by(_assocs.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        conn.execute(update, [{'aid': r[0], 'folded': _folded(*r[1:])} for r in rows])
        last = rows[-1][0]
    if conn.dialect.name == 'sqlite':
        for stmt in SQLITE:
            op.execute(stmt)
    elif conn.dialect.name == 'postgresql':
        try:
            with conn.begin_nested():
                conn.execute(sa.text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
        except sa.exc.DBAPIError as exc:
            log.warning(
                'pg_trgm is not available (%s): associations are searched without an index',
                str(exc).splitlines()[0],
            )
            return
        op.execute(PG_INDEX)


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        for name in ('ai', 'au', 'ad'):
            op.execute(f'DROP TRIGGER IF EXISTS core_association_search_fts_{name}')
        op.execute('DROP TABLE IF EXISTS core_association_search_fts')
    elif conn.dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_core_association_search_trgm')
    with op.batch_alter_table('core_association', schema=None) as batch_op:
        batch_op.drop_column('search_folded')
