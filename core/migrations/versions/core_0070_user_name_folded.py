"""core: users' names stored folded for name searches

``core_user.name_folded`` holds ``full_name`` in lower case in every alphabet (ё as е), so
that the site search's people, the contacts search and mention suggestions match names
with a plain ``LIKE`` instead of a Python function called for every user.

Revision ID: core_0070
Revises: core_0060
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = 'core_0070'
down_revision = 'core_0060'
branch_labels = None
depends_on = None

_users = sa.table(
    'core_user',
    sa.column('id', sa.Integer),
    sa.column('full_name', sa.String),
    sa.column('name_folded', sa.String),
)


def _fold(text):
    # A copy of core.services.text.fold as it was when this migration was written.
    return (text or '').lower().replace('ё', 'е')


def upgrade():
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('name_folded', sa.String(length=200), server_default='', nullable=False)
        )
    conn = op.get_bind()
    rows = conn.execute(sa.select(_users.c.id, _users.c.full_name)).all()
    update = (
        _users.update()
        .where(_users.c.id == sa.bindparam('uid'))
        .values(name_folded=sa.bindparam('folded'))
    )
    for start in range(0, len(rows), 5000):
        batch = [{'uid': i, 'folded': _fold(n)} for i, n in rows[start : start + 5000]]
        if batch:
            conn.execute(update, batch)


def downgrade():
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_column('name_folded')
