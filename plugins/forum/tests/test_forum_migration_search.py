"""forum_0003_search_text on a database that already has posts: the backfill fills
``search_text`` and the full-text index answers by word forms; downgrade and upgrade again
keep the index working (SQLite, and PostgreSQL with ``QAUYM_TEST_DB=postgresql``)."""

from __future__ import annotations

import os

import flask_migrate
import pytest
from sqlalchemy import text

from core.extensions import db
from core.testing import _pg_reset
from plugins.forum import services as svc


@pytest.fixture
def app(pg_url, tmp_path):
    """The forum app on a database only migrations build: every branch at its head but the
    forum's, at forum_0010_closed_sets (before forum_0003_search_text)."""
    from core import create_app

    url = pg_url or f"sqlite:///{tmp_path / 'forum_migration.db'}"
    os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PLUGINS": "forum", "DATABASE_URL": url})
    with app.app_context():
        if pg_url:
            _pg_reset()
        flask_migrate.upgrade(revision="heads")
        flask_migrate.downgrade(revision="forum_0010_closed_sets")  # the forum branch only
        yield app
        db.session.remove()
        db.engine.dispose()


def _old_rows(factory):
    """A board, a topic and two posts written before search_text existed."""
    association = factory.association()
    author = factory.user()
    conn = db.session.connection()
    conn.execute(
        text(
            "INSERT INTO forum_board (id, association_id, name, description, position, "
            "visibility, premoderate, moderate_first_posts, allow_anonymous, officials, "
            "created_at) VALUES (1, :a, 'Board', '', 1, 'public', false, 0, false, false, "
            "'2026-01-01')"
        ),
        {"a": association.id},
    )
    conn.execute(
        text(
            "INSERT INTO forum_topic (id, board_id, association_id, author_id, title, kind, "
            "created_at, last_post_at, highest_number, visible_number, reply_count, pinned, "
            "locked, approved, anonymous, addressed_to, official_status) VALUES "
            "(1, 1, :a, :u, 'Сабақ жоспарлары', 'discussion', '2026-01-01', '2026-01-01', "
            "2, 2, 1, false, false, true, false, '', '')"
        ),
        {"a": association.id, "u": author.id},
    )
    for pid, number, body in [(1, 1, "Мектебіміздің кітаптары"), (2, 2, "Уроков много")]:
        conn.execute(
            text(
                "INSERT INTO forum_post (id, topic_id, number, author_id, body, created_at, "
                "approved, hidden, anonymous) VALUES "
                "(:id, 1, :n, :u, :b, '2026-01-01', true, false, false)"
            ),
            {"id": pid, "n": number, "u": author.id, "b": body},
        )
    db.session.commit()
    return author


def _ids(user, q):
    return sorted(p.id for p, _score in svc.search_posts(user, q))


def test_upgrade_backfills_search_text_and_the_index(app, factory):
    author = _old_rows(factory)
    db.session.commit()
    flask_migrate.upgrade(revision="heads")
    stored = db.session.execute(text("SELECT id, search_text FROM forum_post ORDER BY id")).all()
    assert "мектеп" in stored[0][1].split() and "урок" in stored[1][1].split()
    assert _ids(author, "мектеп") == [1]
    assert _ids(author, "кітап") == [1]
    assert _ids(author, "сабақ") == [1]  # the topic's title, indexed with its first post
    assert _ids(author, "урок") == [2]

    db.session.commit()  # no open transaction may hold a lock the DDL waits for
    flask_migrate.downgrade(revision="forum_0010_closed_sets")
    flask_migrate.upgrade(revision="heads")
    assert _ids(author, "уроки") == [2]
