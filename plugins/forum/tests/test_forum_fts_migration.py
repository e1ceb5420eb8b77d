"""Forum search survives forum_0010_closed_sets, which rebuilds forum tables on SQLite.

SQLite drops a table's triggers with the table, and the FTS5 index of posts is kept by
triggers on forum_post and forum_topic; the migration drops and recreates them around the
rebuild. These tests build the schema with migrations only (no ``create_all``, which would
create the triggers from the models) and search through the forum's own service, on SQLite
(FTS5) and on PostgreSQL (tsvector).
"""

from __future__ import annotations

import os

import flask_migrate
import pytest
from sqlalchemy import text

from core.extensions import db
from core.models import Association, User
from core.testing import _pg_reset
from plugins.forum import services as svc
from plugins.forum.models import BoardVisibility, ForumBoard, ForumPost, ForumTopic

PREVIOUS = "forum_0002"


@pytest.fixture
def bare_app(pg_url, tmp_path):
    from core import create_app

    url = pg_url or f"sqlite:///{tmp_path / 'forum_fts.db'}"
    os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PLUGINS": "forum", "DATABASE_URL": url})
    with app.app_context():
        if pg_url:
            _pg_reset()
        yield app
        db.session.remove()
        db.engine.dispose()


def _public_topic(title: str, body: str) -> ForumTopic:
    author = User(email="author@example.kz", full_name="Автор", password_hash="x")
    association = Association(slug="fts-assoc", name_kk="Бірлестік")
    db.session.add_all([author, association])
    db.session.flush()
    board = ForumBoard(
        association_id=association.id, name="Жалпы", visibility=BoardVisibility.PUBLIC
    )
    db.session.add(board)
    db.session.flush()
    topic = _topic(board, title)
    _post(topic, 1, body, author)
    db.session.commit()
    return topic


def _topic(board: ForumBoard, title: str) -> ForumTopic:
    topic = ForumTopic(board_id=board.id, association_id=board.association_id, title=title)
    db.session.add(topic)
    db.session.flush()
    return topic


def _post(topic: ForumTopic, number: int, body: str, author: User | None = None) -> ForumPost:
    post = ForumPost(
        topic_id=topic.id, number=number, body=body, author_id=author.id if author else None
    )
    db.session.add(post)
    topic.highest_number = topic.visible_number = number
    db.session.flush()
    return post


def _found(word: str) -> list[int]:
    return [post.id for post, _score in svc.search_posts(None, word)]


def _check_search_keeps_working(topic: ForumTopic, old_post_id: int) -> None:
    """Old posts are found; new posts, edited bodies and renamed topics are indexed."""
    assert _found("жолбарыс") == [old_post_id]
    reply = _post(topic, 2, "Бүгін піл туралы сабақ")
    db.session.commit()
    assert _found("піл") == [reply.id]
    reply.body = "Бүгін керік туралы сабақ"
    db.session.commit()
    assert _found("керік") == [reply.id] and _found("піл") == []
    topic.title = "Арыстан сабағы"
    db.session.commit()
    assert _found("арыстан") == [old_post_id]  # the title is indexed with the first post
    db.session.delete(reply)
    db.session.commit()
    assert _found("керік") == []


def _fts_triggers() -> set[str]:
    with db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            return set()
        # the forum's own: other plugins' heads may add triggers on their tables
        return set(
            conn.scalars(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                    " AND tbl_name LIKE 'forum\\_%' ESCAPE '\\'"
                )
            )
        )


def test_search_works_after_upgrade_heads_from_an_empty_database(bare_app):
    flask_migrate.upgrade(revision="heads")
    topic = _public_topic("Математика апталығы", "Жолбарыс туралы есеп")
    (post_id,) = _found("жолбарыс")
    _check_search_keeps_working(topic, post_id)


def _old_public_topic(title: str, body: str) -> int:
    """A topic and its first post as the forum wrote them at PREVIOUS, in plain SQL (today's
    models have columns, such as search_text, that the old schema lacks); the topic's id."""
    conn = db.session.connection()
    author_id = conn.execute(
        text(
            "INSERT INTO core_user (email, full_name, handle, password_hash, category, "
            "experience_years, position, bio, is_site_admin, active, email_confirmed, "
            "created_at) VALUES ('author@example.kz', 'Автор', 'avtor', 'x', 'none', 0, '', '', "
            "false, true, true, '2026-01-01') RETURNING id"
        )
    ).scalar_one()
    association = Association(slug="fts-assoc", name_kk="Бірлестік")
    db.session.add(association)
    db.session.flush()
    board_id = conn.execute(
        text(
            "INSERT INTO forum_board (association_id, name, description, position, visibility, "
            "premoderate, moderate_first_posts, allow_anonymous, officials, created_at) "
            "VALUES (:a, 'Жалпы', '', 1, 'public', false, 0, false, false, '2026-01-01') "
            "RETURNING id"
        ),
        {"a": association.id},
    ).scalar_one()
    topic_id = conn.execute(
        text(
            "INSERT INTO forum_topic (board_id, association_id, title, kind, created_at, "
            "last_post_at, highest_number, visible_number, reply_count, pinned, locked, "
            "approved, anonymous, addressed_to, official_status) VALUES (:b, :a, :t, "
            "'discussion', '2026-01-01', '2026-01-01', 1, 1, 0, false, false, true, false, "
            "'', '') RETURNING id"
        ),
        {"b": board_id, "a": association.id, "t": title},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO forum_post (topic_id, number, author_id, body, created_at, approved, "
            "hidden, anonymous) VALUES (:t, 1, :u, :body, '2026-01-01', true, false, false)"
        ),
        {"t": topic_id, "u": author_id, "body": body},
    )
    db.session.commit()
    return topic_id


def test_search_works_after_upgrading_a_database_that_had_posts(bare_app):
    flask_migrate.upgrade(revision="core@head")
    flask_migrate.upgrade(revision=PREVIOUS)
    triggers = _fts_triggers()
    assert db.engine.dialect.name != "sqlite" or len(triggers) >= 3, triggers
    topic_id = _old_public_topic("Математика апталығы", "Жолбарыс туралы есеп")
    db.session.remove()

    flask_migrate.upgrade(revision="heads")
    assert _fts_triggers() == triggers
    (post_id,) = _found("жолбарыс")
    topic = db.session.get(ForumTopic, topic_id)
    _check_search_keeps_working(topic, post_id)

    # And back: the downgrade rebuilds the tables again and restores the triggers; today's
    # code needs today's schema, so the index is checked again after upgrading once more.
    db.session.remove()
    flask_migrate.downgrade(revision=PREVIOUS)
    assert _fts_triggers() == triggers
    flask_migrate.upgrade(revision="heads")
    topic = db.session.get(ForumTopic, topic_id)
    topic.title = "Математика апталығы"
    db.session.commit()
    _check_search_keeps_working(topic, post_id)
