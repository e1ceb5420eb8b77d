"""forum: cooked posts, positions and denormalised counters

Revision ID: forum_0020
Revises: forum_0003_search_text
Create Date: 2026-12-02 04:41:35.016556

Adds the stored HTML of posts (``body_html``, ``pending_html``, ``cooked_version``; rows are
left at version 0 and rendered on the fly until ``qauym forum recook`` fills them, which on a
million posts is minutes a migration should not hold a lock for), each approved post's
``position`` in its topic, and the topic and board counters, then computes positions and
counters with the same SQL as ``qauym forum repair`` (copied here, so this revision never
changes when the command does).

Plain ``ADD COLUMN`` and ``CREATE INDEX`` only: no batch rebuild on SQLite, so the FTS5
triggers on forum_post and forum_topic stay as they are.
"""

import sqlalchemy as sa
from alembic import op


revision = 'forum_0020'
down_revision = 'forum_0003_search_text'
branch_labels = None
depends_on = None

COLUMNS = {
    'forum_board': [
        sa.Column('topic_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('post_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_topic_id', sa.Integer(), nullable=True),
        sa.Column('last_post_id', sa.Integer(), nullable=True),
        sa.Column('last_post_at', sa.DateTime(), nullable=True),
        sa.Column('last_poster_id', sa.Integer(), nullable=True),
    ],
    'forum_post': [
        sa.Column('body_html', sa.Text(), server_default='', nullable=False),
        sa.Column('cooked_version', sa.Integer(), server_default='0', nullable=False),
        sa.Column('position', sa.Integer(), nullable=True),
        sa.Column('pending_html', sa.Text(), nullable=True),
    ],
    'forum_topic': [
        sa.Column('approved_count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_post_id', sa.Integer(), nullable=True),
    ],
}

#: Recompute every position and counter (``qauym forum repair``; the migration that added
#: them runs the same statements). Plain SQL that SQLite (3.33+) and PostgreSQL both read.
#: Positions that change are cleared first, so the unique ``(topic_id, position)`` never sees
#: two rows with one position in between.
REPAIR_SQL = [
    "UPDATE forum_post SET position = NULL WHERE approved = FALSE AND position IS NOT NULL",
    "UPDATE forum_post SET position = NULL WHERE id IN (SELECT r.id FROM (SELECT id, position, "
    "ROW_NUMBER() OVER (PARTITION BY topic_id ORDER BY number) AS rn FROM forum_post "
    "WHERE approved = TRUE) r WHERE r.position IS NULL OR r.position <> r.rn)",
    "UPDATE forum_post SET position = r.rn FROM (SELECT id, ROW_NUMBER() OVER "
    "(PARTITION BY topic_id ORDER BY number) AS rn FROM forum_post WHERE approved = TRUE) r "
    "WHERE forum_post.id = r.id AND forum_post.position IS NULL",
    "UPDATE forum_topic SET "
    "approved_count = (SELECT COUNT(*) FROM forum_post p WHERE p.topic_id = forum_topic.id "
    "AND p.approved = TRUE), "
    "visible_number = COALESCE((SELECT MAX(p.number) FROM forum_post p "
    "WHERE p.topic_id = forum_topic.id AND p.approved = TRUE), 0), "
    "reply_count = (SELECT COUNT(*) FROM forum_post p WHERE p.topic_id = forum_topic.id "
    "AND p.number > 1 "
    "AND p.approved = TRUE AND p.hidden = FALSE AND p.deleted_at IS NULL), "
    "last_post_id = (SELECT p.id FROM forum_post p WHERE p.topic_id = forum_topic.id "
    "AND p.approved = TRUE AND p.hidden = FALSE AND p.deleted_at IS NULL "
    "ORDER BY p.number DESC LIMIT 1)",
    "UPDATE forum_topic SET "
    "last_post_at = COALESCE((SELECT p.created_at FROM forum_post p "
    "WHERE p.id = forum_topic.last_post_id), forum_topic.created_at), "
    "last_poster_id = CASE WHEN forum_topic.last_post_id IS NULL THEN "
    "(CASE WHEN forum_topic.anonymous = TRUE THEN NULL ELSE forum_topic.author_id END) "
    "ELSE (SELECT CASE WHEN p.anonymous = TRUE THEN NULL ELSE p.author_id END "
    "FROM forum_post p WHERE p.id = forum_topic.last_post_id) END",
    "UPDATE forum_board SET "
    "topic_count = (SELECT COUNT(*) FROM forum_topic t WHERE t.board_id = forum_board.id "
    "AND t.approved = TRUE AND t.deleted_at IS NULL), "
    "post_count = COALESCE((SELECT SUM(t.reply_count + 1) FROM forum_topic t "
    "WHERE t.board_id = forum_board.id AND t.approved = TRUE AND t.deleted_at IS NULL), 0), "
    "last_topic_id = (SELECT t.id FROM forum_topic t WHERE t.board_id = forum_board.id "
    "AND t.approved = TRUE AND t.deleted_at IS NULL ORDER BY t.last_post_at DESC, t.id DESC LIMIT 1)",
    "UPDATE forum_board SET "
    "last_post_id = (SELECT t.last_post_id FROM forum_topic t "
    "WHERE t.id = forum_board.last_topic_id), "
    "last_post_at = (SELECT t.last_post_at FROM forum_topic t "
    "WHERE t.id = forum_board.last_topic_id), "
    "last_poster_id = (SELECT t.last_poster_id FROM forum_topic t "
    "WHERE t.id = forum_board.last_topic_id)",
]




def upgrade():
    for table, columns in COLUMNS.items():
        for column in columns:
            op.add_column(table, column)
    for stmt in REPAIR_SQL:
        op.execute(stmt)
    op.create_index('uq_forum_post_topic_position', 'forum_post', ['topic_id', 'position'], unique=True)


def downgrade():
    op.drop_index('uq_forum_post_topic_position', table_name='forum_post')
    for table, columns in COLUMNS.items():
        for column in reversed(columns):
            op.drop_column(table, column.name)
