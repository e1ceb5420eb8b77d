"""forum: hidden topics, archived boards, merged topics

Revision ID: forum_0050
Revises: forum_0031
Create Date: 2026-12-02 10:30:00

Adds ``forum_topic.hidden`` (a moderator hid the topic: gone from lists, search and the
counters), ``forum_topic.merged_into_id`` (the topic whose address now redirects to the one it
was merged into) and ``forum_board.archived_at`` (a read-only board).

Plain ``ADD COLUMN`` only: no batch rebuild on SQLite, so the FTS5 triggers on forum_post and
forum_topic stay as they are. No counter changes: no topic is hidden yet.
"""

import sqlalchemy as sa
from alembic import op


revision = 'forum_0050'
down_revision = 'forum_0031'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'forum_topic', sa.Column('hidden', sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column('forum_topic', sa.Column('merged_into_id', sa.Integer(), nullable=True))
    op.add_column('forum_board', sa.Column('archived_at', sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column('forum_board', 'archived_at')
    op.drop_column('forum_topic', 'merged_into_id')
    op.drop_column('forum_topic', 'hidden')
