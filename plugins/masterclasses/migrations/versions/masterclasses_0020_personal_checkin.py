"""masterclasses: personal check-in codes, the shared code as an option, audience enforcement

Revision ID: masterclasses_0020
Revises: masterclasses_0010_closed_sets
Create Date: 2026-12-02 04:40:00.000000

- ``masterclasses_registration.ticket_code``: the personal code on a participant's ticket
  (unique; empty for older registrations until their ticket page is opened).
- ``masterclasses_event.shared_checkin``: participants may check in with the shared code
  (true, as before, for existing events).
- ``masterclasses_event.enforce_audience``: registration limited to the target audience.
"""

import sqlalchemy as sa
from alembic import op


revision = 'masterclasses_0020'
down_revision = 'masterclasses_0010_closed_sets'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('masterclasses_registration') as batch_op:
        batch_op.add_column(sa.Column('ticket_code', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(
            op.f('uq_masterclasses_registration_ticket_code'), ['ticket_code']
        )
    with op.batch_alter_table('masterclasses_event') as batch_op:
        batch_op.add_column(
            sa.Column('shared_checkin', sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                'enforce_audience', sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table('masterclasses_event') as batch_op:
        batch_op.drop_column('enforce_audience')
        batch_op.drop_column('shared_checkin')
    with op.batch_alter_table('masterclasses_registration') as batch_op:
        batch_op.drop_constraint(
            op.f('uq_masterclasses_registration_ticket_code'), type_='unique'
        )
        batch_op.drop_column('ticket_code')
