"""The topic page and the board page cost the same number of SQL queries for 5 and for 500
posts/topics (no N+1: authors, attachments, reactions, read states are loaded in batches)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from core.extensions import db
from core.models import Membership, User
from plugins.forum import counters
from plugins.forum.models import (
    ForumAttachment,
    ForumBoard,
    ForumPost,
    ForumReaction,
    ForumReadState,
    ForumTopic,
)
from plugins.forum.tests.forumkit import world


def _users(association_id: int, n: int, tag: str) -> list[int]:
    db.session.execute(
        insert(User),
        [
            {"email": f"{tag}{i}@bulk.kz", "password_hash": "x", "full_name": f"Мұғалім {tag}{i}"}
            for i in range(n)
        ],
    )
    ids = db.session.scalars(select(User.id).where(User.email.like(f"{tag}%@bulk.kz"))).all()
    db.session.execute(
        insert(Membership), [{"association_id": association_id, "user_id": u} for u in ids]
    )
    return list(ids)


def _topic_with_posts(board: ForumBoard, users: list[int], n: int, viewer: User) -> ForumTopic:
    now = dt.datetime(2026, 9, 1)
    t = ForumTopic(
        board_id=board.id,
        association_id=board.association_id,
        author_id=users[0],
        title=f"{n} хабар",
        kind="question",
        highest_number=n,
        visible_number=n,
        reply_count=n - 1,
        last_post_at=now,
        last_poster_id=users[-1],
    )
    db.session.add(t)
    db.session.flush()
    db.session.execute(
        insert(ForumPost),
        [
            {
                "topic_id": t.id,
                "number": i + 1,
                "author_id": users[i % len(users)],
                "body": f"Хабар **{i}**",
                "created_at": now + dt.timedelta(minutes=i),
                "anonymous": i % 7 == 3,
                "hidden": i % 11 == 4,
            }
            for i in range(n)
        ],
    )
    post_ids = db.session.scalars(
        select(ForumPost.id).where(ForumPost.topic_id == t.id).order_by(ForumPost.number)
    ).all()
    db.session.execute(
        insert(ForumAttachment),
        [
            {
                "post_id": p,
                "path": f"forum/{p}.png",
                "original_name": f"{p}.png",
                "kind": "png",
                "mime": "image/png",
                "size": 100,
            }
            for p in post_ids
        ],
    )
    db.session.execute(
        insert(ForumReaction),
        [
            {"post_id": p, "user_id": users[(j + 1) % len(users)], "kind": "thanks"}
            for j, p in enumerate(post_ids)
        ]
        + [{"post_id": p, "user_id": viewer.id, "kind": "agree"} for p in post_ids],
    )
    t.accepted_post_id = post_ids[1]
    counters.repair()  # positions and counters of the bulk-inserted posts
    db.session.commit()
    return t


def _board_with_topics(association_id: int, users: list[int], n: int, viewer: User):
    board = ForumBoard(association_id=association_id, name=f"{n} тақырып")
    db.session.add(board)
    db.session.flush()
    now = dt.datetime(2026, 9, 1)
    db.session.execute(
        insert(ForumTopic),
        [
            {
                "board_id": board.id,
                "association_id": association_id,
                "author_id": users[i % len(users)],
                "last_poster_id": users[(i + 3) % len(users)],
                "title": f"Тақырып {i}",
                "highest_number": 3,
                "visible_number": 3,
                "reply_count": 2,
                "last_post_at": now - dt.timedelta(minutes=i),
                "pinned": i == 2,
                "anonymous": i % 5 == 1,
            }
            for i in range(n)
        ],
    )
    topic_ids = db.session.scalars(select(ForumTopic.id).where(ForumTopic.board_id == board.id))
    db.session.execute(
        insert(ForumReadState),
        [{"user_id": viewer.id, "topic_id": t, "last_read_number": 1} for t in topic_ids],
    )
    db.session.commit()
    return board


def test_topic_and_board_pages_constant_queries(app, client, factory, login, count_queries):
    w = world(factory)
    users = _users(w.association.id, 60, "q")
    small = _topic_with_posts(w.board, users, 5, w.member)
    big = _topic_with_posts(w.board, users, 500, w.member)
    board_small = _board_with_topics(w.association.id, users, 5, w.member)
    board_big = _board_with_topics(w.association.id, users, 500, w.member)
    login(client, w.member)

    def cost(url: str) -> int:
        assert client.get(url).status_code == 200  # warm-up: first read state is written
        # A fresh application context, as each request in production: no rows or per-request
        # caches left over from the test's own context.
        with app.app_context(), count_queries() as c:
            resp = client.get(url)
        assert resp.status_code == 200
        return c.count

    # Constant in the topic's size and in the page (the first, a middle one, the last, one
    # past the last): positions, not COUNT(*) and OFFSET, and at most 9 statements.
    topic_small = cost(f"/forum/t/{small.id}")
    costs = [cost(f"/forum/t/{big.id}?page={n}") for n in (1, 13, 25, 99)]
    with app.app_context(), count_queries() as c:
        client.get(f"/forum/t/{big.id}?page=25")
    assert costs == [topic_small] * 4, costs
    assert topic_small <= 9, topic_small
    post_queries = [q.lower() for q in c.statements if "from forum_post" in q.lower()]
    assert post_queries and not any("count(" in q or "offset" in q for q in post_queries)
    board_small_cost = cost(f"/forum/b/{board_small.id}")
    assert board_small_cost == cost(f"/forum/b/{board_big.id}")
    latest = cost("/forum/")
    assert latest == cost("/forum/?page=10")
    # and the big pages really rendered many rows
    html = client.get(f"/forum/t/{big.id}").get_data(as_text=True)
    assert html.count('<article class="post') == 20
    html = client.get(f"/forum/b/{board_big.id}").get_data(as_text=True)
    assert html.count('<li class="topic-row') == 30
    assert board_small_cost <= 8, board_small_cost


def test_topic_page_reads_only_its_posts_for_a_member(app, client, factory, login):
    """The posts of a topic page are found by the (topic_id, position) range and the few
    pending posts, never by walking every post of the topic: the plan of the page's statement,
    as a logged-in member gets it, read back from SQLite (PostgreSQL plans on a test-sized
    table are sequential scans whatever the statement, so only SQLite is judged)."""
    from sqlalchemy import event

    from core.testing import sqlite_plan, sqlite_statistics

    w = world(factory)
    users = _users(w.association.id, 20, "p")
    big = _topic_with_posts(w.board, users, 300, w.member)
    big.accepted_post_id = None  # as most topics: no answer shown above the thread
    if db.session.get_bind().dialect.name == "sqlite":
        # The statistics of the bench's scale-1 forum (1,000,000 posts, 50 a topic on
        # average, 11 an author), as ANALYZE wrote them there: the planner chooses as it would
        # on a national site, where a WHERE with OR walked all 40,000 posts of a big topic.
        sqlite_statistics(
            "forum_post",
            {
                "uq_forum_post_topic_position": "1000000 50 1",
                "ix_forum_post_topic_created": "1000000 50 1",
                "sqlite_autoindex_forum_post_1": "1000000 50 1",  # unique (topic_id, number)
                "ix_forum_post_author_id": "1000000 11",
                "ix_forum_post_created_at": "1000000 2",
            },
        )
    login(client, w.member)
    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, params, context, executemany):
        if "forum_post.body_html" in statement and "LEFT OUTER JOIN core_user" in statement:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        html = client.get(f"/forum/t/{big.id}?page=7").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    assert html.count('<article class="post') == 20
    (statement, params) = seen[-1]
    if db.session.get_bind().dialect.name != "sqlite":
        return
    plan = sqlite_plan(statement, params)
    ranged = "uq_forum_post_topic_position (topic_id=? AND position>? AND position<?)"
    assert any(ranged in d for d in plan), plan
    walk = (
        "SEARCH forum_post USING INDEX ix_forum_post_topic_created (topic_id=?)",
        "SCAN forum_post",
    )
    assert not any(d.startswith(walk) for d in plan), plan
