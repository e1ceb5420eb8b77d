"""core: an HTML alternative and attachments on outbox emails

A board's mailing list sends the post as HTML beside the text, and calendar invitations
travel as an attached .ics file (clients offer "add to calendar" for them).

Revision ID: core_0060
Revises: core_0050
Create Date: 2026-12-02 16:20:00
"""

import sqlalchemy as sa
from alembic import op


revision = 'core_0060'
down_revision = 'core_0050'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('core_outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('attachments', sa.JSON(), server_default='[]', nullable=False))


def downgrade():
    with op.batch_alter_table('core_outbox_email', schema=None) as batch_op:
        batch_op.drop_column('attachments')
        batch_op.drop_column('html')
