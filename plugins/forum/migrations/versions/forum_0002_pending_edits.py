"""forum: an author's edit of an approved post on a pre-moderated board waits for approval

Revision ID: forum_0002
Revises: forum_0001
Create Date: 2026-12-02 01:20:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = 'forum_0002'
down_revision = 'forum_0001'
branch_labels = None
depends_on = None


# Plain ALTER TABLE (no batch copy): on SQLite a rebuilt forum_post would lose the FTS
# triggers created in forum_0001.


def upgrade():
    op.add_column('forum_post', sa.Column('pending_body', sa.Text(), nullable=True))
    op.add_column('forum_post', sa.Column('pending_title', sa.String(length=200), nullable=True))
    op.add_column('forum_post', sa.Column('pending_since', sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column('forum_post', 'pending_since')
    op.drop_column('forum_post', 'pending_title')
    op.drop_column('forum_post', 'pending_body')
