"""core_user.handle: the @handle members are mentioned by, unique, from the name

Revision ID: core_0040
Revises: core_0031
Create Date: 2026-12-02 10:30:00.000000

Every existing user gets a handle transliterated from the full name (Kazakh and Russian
Cyrillic to Latin, other characters to "_", at most 30 characters, at least 3), with a number
added when two names give the same one (in the order of ids). The rule is a copy of
core.services.handles.base_handle (a migration never imports the app).
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op


revision = 'core_0040'
down_revision = 'core_0031'
branch_labels = None
depends_on = None

LATIN = {
    'а': 'a', 'ә': 'a', 'б': 'b', 'в': 'v', 'г': 'g', 'ғ': 'g', 'д': 'd', 'е': 'e', 'ё': 'yo',
    'ж': 'zh', 'з': 'z', 'и': 'i', 'й': 'i', 'к': 'k', 'қ': 'q', 'л': 'l', 'м': 'm', 'н': 'n',
    'ң': 'n', 'о': 'o', 'ө': 'o', 'п': 'p', 'р': 'r', 'с': 's', 'т': 't', 'у': 'u', 'ұ': 'u',
    'ү': 'u', 'ф': 'f', 'х': 'kh', 'һ': 'h', 'ц': 'ts', 'ч': 'ch', 'ш': 'sh', 'щ': 'shch',
    'ъ': '', 'ы': 'y', 'і': 'i', 'ь': '', 'э': 'e', 'ю': 'yu', 'я': 'ya',
}  # fmt: skip


def _translit(text):
    out = []
    for ch in (text or '').lower():
        latin = LATIN.get(ch)
        if latin is None:
            latin = unicodedata.normalize('NFKD', ch).encode('ascii', 'ignore').decode() or ch
        out.append(latin)
    return ''.join(out)


def _base(name):
    text = re.sub(r'[^a-z0-9]+', '_', _translit(name)).strip('_')
    text = text[:30].rstrip('_')
    if len(text) < 3:
        text = (text + '_user').lstrip('_') if text else 'user'
    return text


user = sa.table(
    'core_user', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
    sa.column('handle', sa.String),
)


def upgrade():
    with op.batch_alter_table('core_user') as batch_op:
        batch_op.add_column(sa.Column('handle', sa.String(length=30), nullable=True))
    conn = op.get_bind()
    used = set()
    for uid, name in conn.execute(sa.select(user.c.id, user.c.full_name).order_by(user.c.id)):
        base = handle = _base(name)
        n = 2
        while handle in used:
            handle = base[: 30 - len(str(n))].rstrip('_') + str(n)
            n += 1
        used.add(handle)
        conn.execute(user.update().where(user.c.id == uid).values(handle=handle))
    with op.batch_alter_table('core_user') as batch_op:
        batch_op.alter_column('handle', existing_type=sa.String(length=30), nullable=False)
        batch_op.create_index('ix_core_user_handle', ['handle'], unique=True)


def downgrade():
    with op.batch_alter_table('core_user') as batch_op:
        batch_op.drop_index('ix_core_user_handle')
        batch_op.drop_column('handle')
