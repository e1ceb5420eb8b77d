"""masterclasses: events' title and description stored folded for the site search

``masterclasses_event.search_folded`` holds the title and the description in lower case in
every alphabet (ё as е), kept by ``core.api.keep_folded``, so that the site search matches
events with a plain ``LIKE`` instead of a Python function called for every event.

Revision ID: masterclasses_0030
Revises: masterclasses_0022
Create Date: 2026-12-03 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = 'masterclasses_0030'
down_revision = 'masterclasses_0022'
branch_labels = None
depends_on = None

_events = sa.table(
    'masterclasses_event',
    sa.column('id', sa.Integer),
    sa.column('title', sa.String),
    sa.column('description', sa.Text),
    sa.column('search_folded', sa.Text),
)


def _folded(*values):
    # A copy of core.models.folded_text as it was when this migration was written.
    return '\n'.join((v or '').lower().replace('ё', 'е') for v in values if v)


def upgrade():
    with op.batch_alter_table('masterclasses_event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('search_folded', sa.Text(), server_default='', nullable=False)
        )
    conn = op.get_bind()
    update = (
        _events.update()
        .where(_events.c.id == sa.bindparam('eid'))
        .values(search_folded=sa.bindparam('folded'))
    )
    last = 0
    while True:  # in batches by id: descriptions are long, a whole table need not be in memory
        rows = conn.execute(
            sa.select(_events.c.id, _events.c.title, _events.c.description)
            .where(_events.c.id > last)
            .order_by(_events.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        conn.execute(update, [{'eid': i, 'folded': _folded(t, d)} for i, t, d in rows])
        last = rows[-1][0]

def downgrade():
    with op.batch_alter_table('masterclasses_event', schema=None) as batch_op:
        batch_op.drop_column('search_folded')
