"""forum_0070 (stored search vectors) on a database that already has posts: on PostgreSQL the
generated ``search_tsv`` columns fill themselves, the GIN indexes move onto them and search
answers as before; downgrade restores the expression indexes. On SQLite the revision does
nothing and FTS5 keeps answering."""

from __future__ import annotations

import flask_migrate
import pytest
from sqlalchemy import text

from core.extensions import db
from core.testing import migrated_app
from plugins.forum import services as svc
from plugins.forum.tests.forumkit import topic, world


@pytest.fixture
def app(pg_url, tmp_path):
    """The forum app on a database only migrations build, the forum branch at forum_0060
    (before forum_0070)."""
    with migrated_app(pg_url, tmp_path, plugins="forum") as app:
        flask_migrate.upgrade(revision="heads")
        flask_migrate.downgrade(revision="forum_0060")
        yield app


def _index_defs() -> dict[str, str]:
    rows = db.session.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('ix_forum_post_search_tsv', 'ix_forum_topic_search_tsv')"
        )
    )
    return dict(rows.all())


def _columns(table: str) -> set[str]:
    rows = db.session.execute(
        text("SELECT column_name FROM information_schema.columns WHERE table_name = :t"),
        {"t": table},
    )
    return set(rows.scalars())


def _ids(user, q):
    return sorted(p.id for p, _score in svc.search_posts(user, q))


def test_upgrade_fills_the_stored_vectors_of_existing_posts(app, factory):
    w = world(factory)
    first = topic(w.public, w.member, title="Сабақ жоспарлары", body="Мектебіміздің кітаптары")
    reply = svc.add_post(first, w.member2, "Уроков много")
    db.session.commit()
    pg = db.session.get_bind().dialect.name == "postgresql"
    if pg:  # written before forum_0070: no stored vector, expression indexes
        assert "search_tsv" not in _columns("forum_post")
        assert all("to_tsvector" in d for d in _index_defs().values()), _index_defs()
    db.session.commit()  # no open transaction may hold a lock the DDL waits for

    flask_migrate.upgrade(revision="heads")
    if pg:
        for sql in (
            "SELECT count(*) FROM forum_post WHERE search_tsv IS NULL "
            "OR search_tsv <> to_tsvector('simple', search_text)",
            "SELECT count(*) FROM forum_topic WHERE search_tsv IS NULL "
            "OR search_tsv <> to_tsvector('simple', search_text)",
        ):
            assert db.session.execute(text(sql)).scalar_one() == 0, sql
        defs = _index_defs()
        assert len(defs) == 2, defs
        assert all("gin (search_tsv)" in d for d in defs.values()), defs
    assert _ids(w.member, "мектеп") == _ids(w.member, "кітап")
    assert reply.id not in _ids(w.member, "мектеп") and len(_ids(w.member, "мектеп")) == 1
    assert _ids(w.member, "сабақ") == _ids(w.member, "мектеп")  # the title, opening post
    assert _ids(w.member, "урок") == [reply.id]
    # a post written after the upgrade gets its vector from the generated column
    later = svc.add_post(first, w.member, "Жаңа кітаптар келді")
    db.session.commit()
    assert later.id in _ids(w.member, "кітап")

    db.session.commit()
    flask_migrate.downgrade(revision="forum_0060")
    if pg:
        assert "search_tsv" not in _columns("forum_post")
        assert "search_tsv" not in _columns("forum_topic")
        defs = _index_defs()
        assert len(defs) == 2 and all("to_tsvector" in d for d in defs.values()), defs
    db.session.commit()
    flask_migrate.upgrade(revision="heads")
    assert _ids(w.member, "уроки") == [reply.id]
