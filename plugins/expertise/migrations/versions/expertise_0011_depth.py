"""expertise: quorum override reason, hours per review, the re-review step

Revision ID: expertise_0011_depth
Revises: expertise_0010_closed_sets
Create Date: 2026-12-02 02:50:00.000000

- ``expertise_settings.review_hours``: portfolio hours a completed review earns (default 2).
- ``expertise_review.hours``: the hours copied onto each review (0 for earlier reviews).
- ``expertise_transition.override_reason``: why a coordinator decided below the quorum.
- ``expertise_transition.action`` accepts ``rereview`` (the values are copied, not imported).
"""

import sqlalchemy as sa
from alembic import op


revision = 'expertise_0011_depth'
down_revision = 'expertise_0010_closed_sets'
branch_labels = None
depends_on = None

ACTIONS = [
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
]


def _batch(table):
    sqlite = op.get_bind().dialect.name == "sqlite"
    return op.batch_alter_table(table, recreate="always" if sqlite else "never")


def _set_actions(values):
    with _batch('expertise_transition') as batch_op:
        batch_op.drop_constraint(op.f('ck_expertise_transition_action'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_expertise_transition_action'), sa.column('action').in_(values)
        )


def upgrade():
    with op.batch_alter_table('expertise_settings') as batch_op:
        batch_op.add_column(
            sa.Column('review_hours', sa.Float(), server_default='2', nullable=False)
        )
    with op.batch_alter_table('expertise_review') as batch_op:
        batch_op.add_column(sa.Column('hours', sa.Float(), server_default='0', nullable=False))
    with op.batch_alter_table('expertise_transition') as batch_op:
        batch_op.add_column(
            sa.Column('override_reason', sa.Text(), server_default='', nullable=False)
        )
    _set_actions([*ACTIONS, 'rereview'])


def downgrade():
    op.execute("DELETE FROM expertise_transition WHERE action = 'rereview'")
    _set_actions(ACTIONS)
    with op.batch_alter_table('expertise_transition') as batch_op:
        batch_op.drop_column('override_reason')
    with op.batch_alter_table('expertise_review') as batch_op:
        batch_op.drop_column('hours')
    with op.batch_alter_table('expertise_settings') as batch_op:
        batch_op.drop_column('review_hours')
