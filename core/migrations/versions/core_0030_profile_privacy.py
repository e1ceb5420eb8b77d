"""core_user.profile_public: who sees a teacher's school, category, experience, memberships

Revision ID: core_0030
Revises: core_0010_closed_sets
Create Date: 2026-12-02 04:40:00.000000

False for everyone: the details are shown to members of the same associations and to
administrators until the teacher makes them public in the profile settings.
"""

import sqlalchemy as sa
from alembic import op


revision = 'core_0030'
down_revision = 'core_0010_closed_sets'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('core_user') as batch_op:
        batch_op.add_column(
            sa.Column('profile_public', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('core_user') as batch_op:
        batch_op.drop_column('profile_public')
