"""Topic and board counters stay right through writing, hiding, deleting, restoring,
approving and moving, in the same transaction: after each step they equal both the expected
numbers and what ``qauym forum repair`` computes from the posts."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from plugins.forum.models import ForumBoard, ForumPost, ForumTopic
from plugins.forum.tests.forumkit import world

TOPIC_COLS = ("approved_count", "reply_count", "visible_number", "last_post_id", "last_poster_id")
BOARD_COLS = ("topic_count", "post_count", "last_topic_id", "last_post_id", "last_poster_id")


def _all(model):
    return db.session.scalars(select(model)).all()


def _snapshot():
    db.session.expire_all()
    topics = {t.id: tuple(getattr(t, c) for c in TOPIC_COLS) for t in _all(ForumTopic)}
    boards = {b.id: tuple(getattr(b, c) for c in BOARD_COLS) for b in _all(ForumBoard)}
    positions = dict(db.session.execute(select(ForumPost.id, ForumPost.position)).all())
    return topics, boards, positions


def assert_consistent(app) -> None:
    """The counters kept by the writes are the ones a full repair computes."""
    kept = _snapshot()
    result = app.test_cli_runner().invoke(args=["forum", "repair"])
    assert result.exit_code == 0, result.output
    assert _snapshot() == kept


def _board(board_id: int) -> ForumBoard:
    db.session.expire_all()
    return db.session.get(ForumBoard, board_id)


def _topic(topic_id: int) -> ForumTopic:
    db.session.expire_all()
    return db.session.get(ForumTopic, topic_id)


def test_counters_follow_every_action(app, client, factory, login, post):
    w = world(factory)
    login(client, w.member)
    new = {"title": "Тақырып", "kind": "discussion", "body": "1"}
    post(client, f"/forum/b/{w.board.id}/new", new)
    topic = db.session.scalar(select(ForumTopic))
    other = app.test_client()
    login(other, w.member2)
    for i in range(3):
        post(other, f"/forum/t/{topic.id}/reply", {"body": f"жауап {i}"})
    posts = db.session.scalars(
        select(ForumPost).where(ForumPost.topic_id == topic.id).order_by(ForumPost.number)
    ).all()
    last = posts[-1]
    t = _topic(topic.id)
    assert (t.approved_count, t.reply_count, t.last_post_id, t.last_poster_id) == (
        4,
        3,
        last.id,
        w.member2.id,
    )
    b = _board(w.board.id)
    assert (b.topic_count, b.post_count, b.last_post_id, b.last_topic_id) == (1, 4, last.id, t.id)
    assert [p.position for p in posts] == [1, 2, 3, 4]
    assert_consistent(app)

    # the author deletes the last reply: counts and the last post move back
    post(other, f"/forum/p/{last.id}/delete")
    t, b = _topic(topic.id), _board(w.board.id)
    assert (t.reply_count, t.last_post_id, b.post_count, b.last_post_id) == (
        2,
        posts[2].id,
        3,
        posts[2].id,
    )
    assert t.approved_count == 4  # the deleted post keeps its place (a placeholder)
    assert_consistent(app)
    post(other, f"/forum/p/{last.id}/restore")
    assert (_topic(topic.id).reply_count, _board(w.board.id).post_count) == (3, 4)
    assert_consistent(app)

    # a moderator hides and unhides a reply
    mod = app.test_client()
    login(mod, w.moderator)
    post(mod, f"/forum/p/{posts[1].id}/mod/hide")
    assert (_topic(topic.id).reply_count, _board(w.board.id).post_count) == (2, 3)
    assert_consistent(app)
    post(mod, f"/forum/p/{posts[1].id}/mod/unhide")
    assert _topic(topic.id).reply_count == 3
    assert_consistent(app)

    # pre-moderation: a waiting reply counts nowhere until approved, then at the end
    db.session.get(ForumBoard, w.board.id).premoderate = True
    db.session.commit()
    post(other, f"/forum/t/{topic.id}/reply", {"body": "күтуде"})
    waiting = db.session.scalar(select(ForumPost).where(ForumPost.approved.is_(False)))
    assert waiting.position is None
    assert (_topic(topic.id).reply_count, _board(w.board.id).post_count) == (3, 4)
    assert_consistent(app)
    post(mod, f"/forum/p/{waiting.id}/mod/approve")
    t, b = _topic(topic.id), _board(w.board.id)
    assert (t.reply_count, t.approved_count, t.last_post_id, b.post_count) == (4, 5, waiting.id, 5)
    assert db.session.get(ForumPost, waiting.id).position == 5
    assert_consistent(app)

    # moving the topic moves its counts from one board to the other
    post(mod, f"/forum/t/{topic.id}/move", {"board_id": w.public.id})
    old, new = _board(w.board.id), _board(w.public.id)
    assert (old.topic_count, old.post_count, old.last_post_id) == (0, 0, None)
    assert (new.topic_count, new.post_count, new.last_post_id) == (1, 5, waiting.id)
    assert_consistent(app)

    # deleting and restoring the whole topic
    post(mod, f"/forum/t/{topic.id}/mod/delete")
    assert (_board(w.public.id).topic_count, _board(w.public.id).post_count) == (0, 0)
    assert_consistent(app)
    post(mod, f"/forum/t/{topic.id}/mod/restore")
    assert (_board(w.public.id).topic_count, _board(w.public.id).post_count) == (1, 5)
    assert_consistent(app)


def test_repair_fixes_counters_left_wrong(app, factory):
    w = world(factory)
    from plugins.forum.tests.forumkit import topic

    t = topic(w.board, w.member, replies=[(w.member2, "а"), (w.member2, "б")])
    db.session.execute(
        ForumBoard.__table__.update().values(topic_count=9, post_count=99, last_post_id=None)
    )
    db.session.execute(ForumTopic.__table__.update().values(reply_count=7, approved_count=0))
    db.session.execute(ForumPost.__table__.update().values(position=None))
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["forum", "repair"]).exit_code == 0
    t, b = _topic(t.id), _board(w.board.id)
    assert (t.reply_count, t.approved_count, b.topic_count, b.post_count) == (2, 3, 1, 3)
    assert b.last_post_id == t.last_post_id is not None
    positions = db.session.scalars(
        select(ForumPost.position).where(ForumPost.topic_id == t.id).order_by(ForumPost.number)
    ).all()
    assert positions == [1, 2, 3]
