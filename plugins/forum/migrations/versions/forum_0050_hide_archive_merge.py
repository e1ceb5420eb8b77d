"""forum: hidden topics, archived boards, merged topics, questions addressed to accounts

Revision ID: forum_0050
Revises: forum_0040
Create Date: 2026-12-02 10:30:00

Adds ``forum_topic.hidden`` (a moderator hid the topic: gone from lists, search and the
counters), ``forum_topic.merged_into_id`` (the topic whose address now redirects to the one it
was merged into) and ``forum_board.archived_at`` (a read-only board), ``forum_topic.addressee_id`` (the account a
question is addressed to) and the table ``forum_official`` (the accounts an association's
managers list as addressees).

Plain ``ADD COLUMN`` only: no batch rebuild on SQLite, so the FTS5 triggers on forum_post and
forum_topic stay as they are. No counter changes: no topic is hidden yet.
"""

import sqlalchemy as sa
from alembic import op


revision = 'forum_0050'
down_revision = 'forum_0040'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'forum_topic', sa.Column('hidden', sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column('forum_topic', sa.Column('merged_into_id', sa.Integer(), nullable=True))
    op.add_column('forum_board', sa.Column('archived_at', sa.DateTime(), nullable=True))
    op.add_column('forum_topic', sa.Column('addressee_id', sa.Integer(), nullable=True))
    op.create_index('ix_forum_topic_addressee_id', 'forum_topic', ['addressee_id'], unique=False)
    op.create_table('forum_official',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['core_association.id'], name=op.f('fk_forum_official_association_id_core_association'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_forum_official_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_official')),
    sa.UniqueConstraint('association_id', 'user_id', name=op.f('uq_forum_official_association_id'))
    )
    with op.batch_alter_table('forum_official', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_official_association_id'), ['association_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_official_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('forum_official', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_official_user_id'))
        batch_op.drop_index(batch_op.f('ix_forum_official_association_id'))
    op.drop_table('forum_official')
    op.drop_index('ix_forum_topic_addressee_id', table_name='forum_topic')
    op.drop_column('forum_topic', 'addressee_id')
    op.drop_column('forum_board', 'archived_at')
    op.drop_column('forum_topic', 'merged_into_id')
    op.drop_column('forum_topic', 'hidden')
