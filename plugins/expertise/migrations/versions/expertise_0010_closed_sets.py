"""expertise: closed sets (states, kinds, roles) checked by the database

Revision ID: expertise_0010_closed_sets
Revises: expertise_0001
Create Date: 2026-12-02 01:50:00.000000

One ``CHECK (column IN (...))`` per column that holds a member of a closed set (the ``StrEnum``
classes of ``plugins/expertise/models.py``). The values are copied here, not imported, so this
revision never changes when the enums do: a new member needs a new revision that widens the
constraint (tests/test_closed_sets.py compares the constraints in a migrated database with the
enums).

On SQLite the tables are rebuilt (batch "copy and move"); run it, as ``qauym db upgrade`` does,
with foreign-key enforcement off (SQLite's default), or dropping a parent table would fire its
ON DELETE actions.
"""

import sqlalchemy as sa
from alembic import op


revision = 'expertise_0010_closed_sets'
down_revision = 'expertise_0001'
branch_labels = None
depends_on = None

CHECKS = {
    'expertise_settings': {
        'min_category': ['', 'none', 'pedagog', 'moderator', 'expert', 'researcher', 'master'],
        'reviewer_identity': ['named', 'anonymous_until_decision', 'anonymous'],
    },
    'expertise_submission': {
        'language': ['kk', 'ru', 'en'],
        'material_type': [
            'lesson_plan',
            'medium_term_plan',
            'method_recommendation',
            'summative_tasks',
            'teaching_kit',
            'author_programme',
            'elective_programme',
            'didactic_materials',
            'event_scenario',
        ],
        'state': [
            'draft',
            'submitted',
            'screening',
            'returned',
            'in_review',
            'minor_revision',
            'major_revision',
            'recommended',
            'not_recommended',
            'withdrawn',
        ],
    },
    'expertise_transition': {
        'action': [
            'submit',
            'screen',
            'return',
            'accept',
            'recommend',
            'minor',
            'major',
            'reject',
            'resubmit',
            'withdraw',
        ],
        'from_state': [
            'draft',
            'submitted',
            'screening',
            'returned',
            'in_review',
            'minor_revision',
            'major_revision',
            'recommended',
            'not_recommended',
            'withdrawn',
        ],
        'to_state': [
            'draft',
            'submitted',
            'screening',
            'returned',
            'in_review',
            'minor_revision',
            'major_revision',
            'recommended',
            'not_recommended',
            'withdrawn',
        ],
    },
    'expertise_assignment': {
        'status': ['invited', 'accepted', 'declined', 'expired', 'removed', 'done'],
    },
    'expertise_review': {
        'recommendation': ['recommended', 'minor_revision', 'major_revision', 'not_recommended'],
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
