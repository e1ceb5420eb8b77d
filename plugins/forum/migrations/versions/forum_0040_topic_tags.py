"""forum topic tags: forum_topic.tags (a copy read with the topic) and forum_topic_tag

Revision ID: forum_0040
Revises: forum_0031
Create Date: 2026-12-02 10:40:00.000000

Plain ``ADD COLUMN`` (as forum_0020): no batch rebuild on SQLite, so the FTS5 triggers on
forum_topic stay as they are.
"""

import sqlalchemy as sa
from alembic import op


revision = 'forum_0040'
down_revision = 'forum_0031'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'forum_topic', sa.Column('tags', sa.String(length=160), server_default='', nullable=False)
    )
    op.create_table('forum_topic_tag',
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=30), nullable=False),
    sa.Column('association_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['association_id'], ['core_association.id'], name=op.f('fk_forum_topic_tag_association_id_core_association'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['forum_topic.id'], name=op.f('fk_forum_topic_tag_topic_id_forum_topic'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('topic_id', 'tag', name=op.f('pk_forum_topic_tag'))
    )
    op.create_index('ix_forum_topic_tag_association_tag', 'forum_topic_tag', ['association_id', 'tag'], unique=False)


def downgrade():
    op.drop_index('ix_forum_topic_tag_association_tag', table_name='forum_topic_tag')
    op.drop_table('forum_topic_tag')
    op.drop_column('forum_topic', 'tags')
