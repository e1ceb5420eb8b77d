"""expertise: materials' title, abstract and keywords stored folded for searches

``expertise_submission.search_folded`` holds the title, the abstract and the keywords in
lower case in every alphabet (ё as е), kept by ``core.api.keep_folded``, so that the library
and the site search match materials with a plain ``LIKE`` instead of a Python function
called for every material.

Revision ID: expertise_0030_search_folded
Revises: expertise_0020_bids_discussion
Create Date: 2026-12-03 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = 'expertise_0030_search_folded'
down_revision = 'expertise_0020_bids_discussion'
branch_labels = None
depends_on = None

_subs = sa.table(
    'expertise_submission',
    sa.column('id', sa.Integer),
    sa.column('title', sa.String),
    sa.column('abstract', sa.Text),
    sa.column('keywords', sa.String),
    sa.column('search_folded', sa.Text),
)


def _folded(*values):
    # A copy of core.models.folded_text as it was when this migration was written.
    return '\n'.join((v or '').lower().replace('ё', 'е') for v in values if v)


def upgrade():
    with op.batch_alter_table('expertise_submission', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('search_folded', sa.Text(), server_default='', nullable=False)
        )
    conn = op.get_bind()
    update = (
        _subs.update()
        .where(_subs.c.id == sa.bindparam('sid'))
        .values(search_folded=sa.bindparam('folded'))
    )
    last = 0
    while True:  # in batches by id: abstracts are long, a whole table need not be in memory
        rows = conn.execute(
            sa.select(_subs.c.id, _subs.c.title, _subs.c.abstract, _subs.c.keywords)
            .where(_subs.c.id > last)
            .order_by(_subs.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        conn.execute(update, [{'sid': r[0], 'folded': _folded(*r[1:])} for r in rows])
        last = rows[-1][0]


def downgrade():
    with op.batch_alter_table('expertise_submission', schema=None) as batch_op:
        batch_op.drop_column('search_folded')
