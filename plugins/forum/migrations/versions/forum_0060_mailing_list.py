"""forum: mailing-list mode of a board (every post by email)

Revision ID: forum_0060
Revises: forum_0050
Create Date: 2026-12-02 10:40:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = 'forum_0060'
down_revision = 'forum_0050'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('forum_mailing_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['forum_board.id'], name=op.f('fk_forum_mailing_list_board_id_forum_board'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_forum_mailing_list_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_mailing_list')),
    sa.UniqueConstraint('user_id', 'board_id', name='uq_forum_mailing_list')
    )
    with op.batch_alter_table('forum_mailing_list', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_mailing_list_board_id'), ['board_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_mailing_list_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('forum_mailing_list', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_mailing_list_user_id'))
        batch_op.drop_index(batch_op.f('ix_forum_mailing_list_board_id'))

    op.drop_table('forum_mailing_list')
