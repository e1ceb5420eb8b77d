"""masterclasses: a promoted waitlister confirms within N hours, else the seat passes on

Revision ID: masterclasses_0022
Revises: masterclasses_0021
Create Date: 2026-12-02 05:15:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = 'masterclasses_0022'
down_revision = 'masterclasses_0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('masterclasses_event') as batch_op:
        batch_op.add_column(sa.Column('confirm_hours', sa.Integer(), nullable=True))
    with op.batch_alter_table('masterclasses_registration') as batch_op:
        batch_op.add_column(sa.Column('offer_expires_at', sa.DateTime(), nullable=True))
        batch_op.create_index(
            op.f('ix_masterclasses_registration_offer_expires_at'), ['offer_expires_at']
        )


def downgrade():
    with op.batch_alter_table('masterclasses_registration') as batch_op:
        batch_op.drop_index(op.f('ix_masterclasses_registration_offer_expires_at'))
        batch_op.drop_column('offer_expires_at')
    with op.batch_alter_table('masterclasses_event') as batch_op:
        batch_op.drop_column('confirm_hours')
