"""core: closed sets (states, kinds, roles) checked by the database

Revision ID: core_0010_closed_sets
Revises: core_0003
Create Date: 2026-12-02 01:50:00.000000

One ``CHECK (column IN (...))`` per column that holds a member of a closed set (the ``StrEnum``
classes of ``core/models.py``). The values are copied here, not imported, so this revision
never changes when the enums do: a new member needs a new revision that widens the constraint
(tests/test_closed_sets.py compares the constraints in a migrated database with the enums).

On SQLite the tables are rebuilt (batch "copy and move"); run it, as ``qauym db upgrade`` does,
with foreign-key enforcement off (SQLite's default), or dropping a parent table would fire its
ON DELETE actions.
"""

import sqlalchemy as sa
from alembic import op


revision = 'core_0010_closed_sets'
down_revision = 'core_0003'
branch_labels = None
depends_on = None

CHECKS = {
    'core_region': {
        'kind': ['region', 'city'],
    },
    'core_association': {
        'join_policy': ['open', 'request', 'invite'],
        'kind': [
            'methodological',
            'subject',
            'federation',
            'club',
            'network',
            'creative_group',
            'workshop',
            'best_practice_school',
            'cycle_commission',
            'creative_lab',
            'young_teachers',
        ],
        'legal_status': ['informal', 'registered'],
        'level': ['school', 'district', 'city', 'region', 'republic', 'network', 'international'],
        'lifespan': ['short-term', 'long-term', 'permanent'],
    },
    'core_user': {
        'category': ['none', 'pedagog', 'moderator', 'expert', 'researcher', 'master'],
    },
    'core_invitation': {
        'role': [
            'leader',
            'coordinator',
            'moderator',
            'secretary',
            'expert',
            'member',
            'participant',
        ],
        'status': ['pending', 'accepted', 'declined'],
    },
    'core_join_request': {
        'status': ['pending', 'approved', 'declined', 'cancelled'],
    },
    'core_membership': {
        'role': [
            'leader',
            'coordinator',
            'moderator',
            'secretary',
            'expert',
            'member',
            'participant',
        ],
    },
    'core_plan_row': {
        'form': [
            'master_class',
            'seminar',
            'webinar',
            'video_conference',
            'round_table',
            'conference',
            'forum',
            'coaching',
            'lesson_study',
            'learning_walk',
            'network_meeting',
            'workshop',
            'festival',
            'marathon',
            'contest',
            'consultation',
            'training',
            'exhibition',
            'general_meeting',
        ],
    },
    'core_annual_report': {
        'status': ['draft', 'published'],
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
