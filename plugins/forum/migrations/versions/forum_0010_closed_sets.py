"""forum: closed sets (states, kinds, roles) checked by the database

Revision ID: forum_0010_closed_sets
Revises: forum_0002
Create Date: 2026-12-02 01:50:00.000000

One ``CHECK (column IN (...))`` per column that holds a member of a closed set (the ``StrEnum``
classes of ``plugins/forum/models.py``). The values are copied here, not imported, so this
revision never changes when the enums do: a new member needs a new revision that widens the
constraint (tests/test_closed_sets.py compares the constraints in a migrated database with the
enums).

On SQLite the tables are rebuilt (batch "copy and move"); run it, as ``qauym db upgrade`` does,
with foreign-key enforcement off (SQLite's default), or dropping a parent table would fire its
ON DELETE actions.

The forum's FTS5 triggers (forum_0001) are on forum_post and forum_topic, and the forum_post
ones read forum_topic: SQLite drops a table's triggers with the table and refuses to rename a
table while a trigger names a missing one. So on SQLite the triggers are dropped first and
created again (the same DDL as forum_0001) once the tables are rebuilt; the FTS table itself
(keyed by post id, which the rebuild keeps) is untouched.
"""

import sqlalchemy as sa
from alembic import op


revision = 'forum_0010_closed_sets'
down_revision = 'forum_0002'
branch_labels = None
depends_on = None

CHECKS = {
    'forum_board': {
        'visibility': ['public', 'members'],
    },
    'forum_topic': {
        'kind': ['discussion', 'question'],
        'official_status': ['', 'open', 'answered', 'closed'],
    },
    'forum_watch': {
        'level': ['muted', 'normal', 'watching'],
    },
    'forum_flag': {
        'reason': ['spam', 'offensive', 'false_accusation', 'off_topic', 'other'],
        'status': ['open', 'agreed', 'disagreed'],
    },
    'forum_reaction': {
        'kind': ['thanks', 'agree'],
    },
}


def _batch(table):
    # SQLite cannot add or drop a CHECK constraint: the table is copied (the batch keeps its
    # indexes, foreign keys and other named CHECK constraints). Elsewhere: ALTER TABLE.
    sqlite = op.get_bind().dialect.name == "sqlite"
    return op.batch_alter_table(table, recreate="always" if sqlite else "never")


def _add_checks():
    for table, columns in CHECKS.items():
        with _batch(table) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(
                    op.f(f"ck_{table}_{column}"), sa.column(column).in_(values)
                )


def _drop_checks():
    for table, columns in CHECKS.items():
        with _batch(table) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")

FTS_TRIGGERS = ["forum_post_fts_ai", "forum_post_fts_au", "forum_post_fts_ad", "forum_topic_fts_au"]
FTS_TRIGGER_DDL = [
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


def _without_fts_triggers(work):
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    work()
    if sqlite:
        for stmt in FTS_TRIGGER_DDL:
            op.execute(stmt)


def upgrade():
    _without_fts_triggers(_add_checks)


def downgrade():
    _without_fts_triggers(_drop_checks)
