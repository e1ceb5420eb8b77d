"""masterclasses: closed sets (states, kinds, roles) checked by the database

Revision ID: masterclasses_0010_closed_sets
Revises: masterclasses_0002
Create Date: 2026-12-02 01:50:00.000000

One ``CHECK (column IN (...))`` per column that holds a member of a closed set (the ``StrEnum``
classes of ``plugins/masterclasses/models.py``). The values are copied here, not imported, so
this revision never changes when the enums do: a new member needs a new revision that widens
the constraint (tests/test_closed_sets.py compares the constraints in a migrated database with
the enums).

On SQLite the tables are rebuilt (batch "copy and move"); run it, as ``qauym db upgrade`` does,
with foreign-key enforcement off (SQLite's default), or dropping a parent table would fire its
ON DELETE actions.
"""

import sqlalchemy as sa
from alembic import op


revision = 'masterclasses_0010_closed_sets'
down_revision = 'masterclasses_0002'
branch_labels = None
depends_on = None

CHECKS = {
    'masterclasses_event': {
        'delivery': ['face', 'online', 'hybrid'],
        'status': ['draft', 'published', 'closed', 'held', 'archived', 'cancelled', 'postponed'],
        'visibility': ['public', 'members', 'subtree'],
    },
    'masterclasses_material': {
        'phase': ['before', 'after'],
    },
    'masterclasses_registration': {
        'attendance': ['present', 'late', 'excused', 'absent'],
        'status': ['registered', 'waitlisted', 'cancelled'],
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


def upgrade():
    _add_checks()


def downgrade():
    _drop_checks()
