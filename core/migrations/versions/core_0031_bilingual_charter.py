"""core: the charter in Kazakh and in Russian (a field per language), cyclogram per language

Revision ID: core_0031
Revises: core_0030
Create Date: 2026-12-02 04:55:00.000000

Every charter section (topic, priority, problem, goals, tasks, expected_results, rules) gets a
``_kk`` and a ``_ru`` column; each cyclogram item gets a ``language``. Existing texts are moved
into the field of their language: a paragraph (blank-line separated) with a Kazakh letter
(ә ғ қ ң ө ұ ү һ і) is Kazakh, any other Russian, so a charter written as "Kazakh paragraph,
then its Russian translation" is split in two. A cyclogram item "Жалпы жиналыс / Общее
собрание | жылына бір рет / раз в год" becomes a Kazakh and a Russian item. The rule is copied
from core.services.text.split_languages (a migration never imports the app). Downgrade joins
the two languages again (Kazakh first).
"""

import re

import sqlalchemy as sa
from alembic import op


revision = 'core_0031'
down_revision = 'core_0030'
branch_labels = None
depends_on = None

FIELDS = ('topic', 'priority', 'problem', 'goals', 'tasks', 'expected_results', 'rules')
KAZAKH = frozenset('әғқңөұүһі')


def _kazakh(text):
    return any(ch in KAZAKH for ch in (text or '').lower())


def _split(text):
    kk, ru = [], []
    for block in re.split(r'\n\s*\n', (text or '').strip()):
        if block.strip():
            (kk if _kazakh(block) else ru).append(block.strip())
    return '\n\n'.join(kk), '\n\n'.join(ru)


def _pair(text):
    parts = [p.strip() for p in (text or '').split(' / ')]
    if len(parts) == 2 and all(parts):
        if _kazakh(parts[1]) and not _kazakh(parts[0]):
            return parts[1], parts[0]
        return parts[0], parts[1]
    return None


association = sa.table(
    'core_association',
    sa.column('id', sa.Integer),
    *[sa.column(f, sa.Text) for f in FIELDS],
    *[sa.column(f'{f}_{lang}', sa.Text) for f in FIELDS for lang in ('kk', 'ru')],
)
item = sa.table(
    'core_cyclogram_item',
    sa.column('id', sa.Integer),
    sa.column('association_id', sa.Integer),
    sa.column('position', sa.Integer),
    sa.column('activity', sa.String),
    sa.column('frequency', sa.String),
    sa.column('language', sa.String),
)


def _batch(table):
    sqlite = op.get_bind().dialect.name == 'sqlite'
    return op.batch_alter_table(table, recreate='always' if sqlite else 'auto')


def upgrade():
    with op.batch_alter_table('core_association') as batch_op:
        for f in FIELDS:
            for lang in ('kk', 'ru'):
                batch_op.add_column(
                    sa.Column(f'{f}_{lang}', sa.Text(), server_default='', nullable=False)
                )
    with op.batch_alter_table('core_cyclogram_item') as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=2), server_default='kk', nullable=False)
        )
    bind = op.get_bind()
    for row in bind.execute(sa.select(association)).mappings().all():
        values = {}
        for f in FIELDS:
            kk, ru = _split(row[f])
            values[f'{f}_kk'], values[f'{f}_ru'] = kk, ru
        bind.execute(association.update().where(association.c.id == row['id']).values(**values))
    rows = bind.execute(
        sa.select(item).order_by(item.c.association_id, item.c.position, item.c.id)
    ).mappings().all()
    by_association = {}
    for row in rows:
        by_association.setdefault(row['association_id'], []).append(row)
    for association_id, items in by_association.items():
        lists = {'kk': [], 'ru': []}
        for row in items:
            activity = _pair(row['activity'])
            frequency = _pair(row['frequency'] or '')
            if activity is not None:
                for i, lang in enumerate(('kk', 'ru')):
                    freq = frequency[i] if frequency else (row['frequency'] or '')
                    lists[lang].append((activity[i], freq))
            else:
                text = f"{row['activity']} {row['frequency'] or ''}"
                lists['kk' if _kazakh(text) else 'ru'].append(
                    (row['activity'], row['frequency'] or '')
                )
        bind.execute(item.delete().where(item.c.association_id == association_id))
        for lang, entries in lists.items():
            for position, (activity, freq) in enumerate(entries):
                bind.execute(
                    item.insert().values(
                        association_id=association_id,
                        position=position,
                        activity=activity[:300],
                        frequency=freq[:200],
                        language=lang,
                    )
                )
    with _batch('core_cyclogram_item') as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_core_cyclogram_item_language'), sa.column('language').in_(['kk', 'ru'])
        )
    with _batch('core_association') as batch_op:
        for f in FIELDS:
            batch_op.drop_column(f)


def downgrade():
    with op.batch_alter_table('core_association') as batch_op:
        for f in FIELDS:
            batch_op.add_column(sa.Column(f, sa.Text(), server_default='', nullable=False))
    bind = op.get_bind()
    for row in bind.execute(sa.select(association)).mappings().all():
        values = {
            f: '\n\n'.join(x for x in (row[f'{f}_kk'], row[f'{f}_ru']) if x) for f in FIELDS
        }
        bind.execute(association.update().where(association.c.id == row['id']).values(**values))
    with _batch('core_cyclogram_item') as batch_op:
        batch_op.drop_constraint(op.f('ck_core_cyclogram_item_language'), type_='check')
        batch_op.drop_column('language')
    with _batch('core_association') as batch_op:
        for f in FIELDS:
            for lang in ('kk', 'ru'):
                batch_op.drop_column(f'{f}_{lang}')
