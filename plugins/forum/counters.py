"""Denormalised counters of topics and boards, kept in the transaction of every write.

What is counted (``models.py`` has the columns):

- a post's ``position``: 1, 2, ... among its topic's approved posts in number order, handed
  out when the post is approved and never changed (hidden and deleted posts keep theirs: they
  stay in the thread as placeholders). The topic's ``approved_count`` is the last one, so a
  topic page needs no ``COUNT(*)`` over its posts (9 ms on a 39,595-post topic, the query that
  grew with the topic) and finds its posts by an index range on ``(topic_id, position)``;
- a topic's ``reply_count`` (visible replies), ``visible_number`` (the last approved post's
  number, for unread marks) and last visible post (``last_post_id``/``_at``/``last_poster_id``;
  no poster for an anonymous post);
- a board's ``topic_count`` (approved topics, neither deleted nor hidden), ``post_count``
  (their opening posts and visible replies) and last post (``last_topic_id``,
  ``last_post_id``/``_at``, ``last_poster_id``).

A new post (the hot path: a reply, a new topic) moves the counters by one (:func:`joined`),
with ``column = column + 1`` in SQL on the board so two replies at once both count. Every
other change (approval, hiding, deleting, restoring, moving, rejecting) is rare and done by a
moderator or an author: :func:`refresh` recomputes the topic from its posts and the boards
from their topics, a few indexed statements, rather than a delta per case that would have to
know every earlier state. ``qauym forum repair`` runs :data:`REPAIR_SQL` over everything.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select, text

from core.api import db
from plugins.forum.models import ForumBoard, ForumPost, ForumTopic


def _visible_post():
    return and_(
        ForumPost.approved.is_(True), ForumPost.hidden.is_(False), ForumPost.deleted_at.is_(None)
    )


def _visible_topic():
    return and_(
        ForumTopic.approved.is_(True),
        ForumTopic.deleted_at.is_(None),
        ForumTopic.hidden.is_(False),
    )


def joined(topic: ForumTopic, post: ForumPost) -> None:
    """An approved post joins the thread: its place, the topic's and the board's counters."""
    if post.id is None:
        db.session.flush()  # the post's id is the topic's and board's last post
    if post.position is None:
        topic.approved_count = (topic.approved_count or 0) + 1
        post.position = topic.approved_count
    topic.visible_number = max(topic.visible_number or 0, post.number)
    poster = None if post.anonymous else post.author_id
    if post.number > 1:
        topic.reply_count = (topic.reply_count or 0) + 1
    topic.last_post_id = post.id
    topic.last_post_at = post.created_at
    topic.last_poster_id = poster
    if topic.approved and topic.deleted_at is None and not topic.hidden:
        board = topic.board
        if post.number == 1:
            board.topic_count = ForumBoard.topic_count + 1
        board.post_count = ForumBoard.post_count + 1
        board.last_topic_id = topic.id
        board.last_post_id = post.id
        board.last_post_at = post.created_at
        board.last_poster_id = poster


def refresh_topic(topic: ForumTopic) -> None:
    """Recompute ``topic``'s counters from its posts (after hiding, deleting, approving...)."""
    db.session.flush()
    replies = db.session.scalar(
        select(func.count(ForumPost.id)).where(
            ForumPost.topic_id == topic.id, ForumPost.number > 1, _visible_post()
        )
    )
    highest = db.session.scalar(
        select(func.max(ForumPost.number)).where(
            ForumPost.topic_id == topic.id, ForumPost.approved.is_(True)
        )
    )
    last = db.session.execute(
        select(ForumPost.id, ForumPost.created_at, ForumPost.author_id, ForumPost.anonymous)
        .where(ForumPost.topic_id == topic.id, _visible_post())
        .order_by(ForumPost.number.desc())
        .limit(1)
    ).first()
    topic.reply_count = replies or 0
    topic.visible_number = highest or 0
    if last is None:
        topic.last_post_id, topic.last_post_at = None, topic.created_at
        topic.last_poster_id = None if topic.anonymous else topic.author_id
    else:
        topic.last_post_id, topic.last_post_at = last.id, last.created_at
        topic.last_poster_id = None if last.anonymous else last.author_id


def refresh_board(board_id: int) -> None:
    """Recompute a board's counters from its topics (a board holds a few hundred topics)."""
    db.session.flush()
    board = db.session.get(ForumBoard, board_id)
    if board is None:
        return
    count, posts = db.session.execute(
        select(
            func.count(ForumTopic.id), func.coalesce(func.sum(ForumTopic.reply_count + 1), 0)
        ).where(ForumTopic.board_id == board_id, _visible_topic())
    ).one()
    last = db.session.execute(
        select(
            ForumTopic.id,
            ForumTopic.last_post_id,
            ForumTopic.last_post_at,
            ForumTopic.last_poster_id,
        )
        .where(ForumTopic.board_id == board_id, _visible_topic())
        .order_by(ForumTopic.last_post_at.desc(), ForumTopic.id.desc())
        .limit(1)
    ).first()
    board.topic_count, board.post_count = count or 0, int(posts or 0)
    if last is None:
        board.last_topic_id = board.last_post_id = board.last_post_at = None
        board.last_poster_id = None
    else:
        board.last_topic_id, board.last_post_id = last.id, last.last_post_id
        board.last_post_at, board.last_poster_id = last.last_post_at, last.last_poster_id


def refresh(topic: ForumTopic, *board_ids: int) -> None:
    """After a moderation or deletion in ``topic``: its counters and its board's (and the
    other boards given, such as the board a topic was moved from)."""
    refresh_topic(topic)
    for board_id in {topic.board_id, *board_ids}:
        refresh_board(board_id)


#: Recompute every position and counter (``qauym forum repair``; the migration that added
#: them runs the same statements). Plain SQL that SQLite (3.33+) and PostgreSQL both read.
#: Positions that change are cleared first, so the unique ``(topic_id, position)`` never sees
#: two rows with one position in between.
REPAIR_SQL = [
    "UPDATE forum_post SET position = NULL WHERE approved = FALSE AND position IS NOT NULL",
    "UPDATE forum_post SET position = NULL WHERE id IN (SELECT r.id FROM (SELECT id, position, "
    "ROW_NUMBER() OVER (PARTITION BY topic_id ORDER BY number) AS rn FROM forum_post "
    "WHERE approved = TRUE) r WHERE r.position IS NULL OR r.position <> r.rn)",
    "UPDATE forum_post SET position = r.rn FROM (SELECT id, ROW_NUMBER() OVER "
    "(PARTITION BY topic_id ORDER BY number) AS rn FROM forum_post WHERE approved = TRUE) r "
    "WHERE forum_post.id = r.id AND forum_post.position IS NULL",
    "UPDATE forum_topic SET "
    "approved_count = (SELECT COUNT(*) FROM forum_post p WHERE p.topic_id = forum_topic.id "
    "AND p.approved = TRUE), "
    "visible_number = COALESCE((SELECT MAX(p.number) FROM forum_post p "
    "WHERE p.topic_id = forum_topic.id AND p.approved = TRUE), 0), "
    "reply_count = (SELECT COUNT(*) FROM forum_post p WHERE p.topic_id = forum_topic.id "
    "AND p.number > 1 "
    "AND p.approved = TRUE AND p.hidden = FALSE AND p.deleted_at IS NULL), "
    "last_post_id = (SELECT p.id FROM forum_post p WHERE p.topic_id = forum_topic.id "
    "AND p.approved = TRUE AND p.hidden = FALSE AND p.deleted_at IS NULL "
    "ORDER BY p.number DESC LIMIT 1)",
    "UPDATE forum_topic SET "
    "last_post_at = COALESCE((SELECT p.created_at FROM forum_post p "
    "WHERE p.id = forum_topic.last_post_id), forum_topic.created_at), "
    "last_poster_id = CASE WHEN forum_topic.last_post_id IS NULL THEN "
    "(CASE WHEN forum_topic.anonymous = TRUE THEN NULL ELSE forum_topic.author_id END) "
    "ELSE (SELECT CASE WHEN p.anonymous = TRUE THEN NULL ELSE p.author_id END "
    "FROM forum_post p WHERE p.id = forum_topic.last_post_id) END",
    "UPDATE forum_board SET "
    "topic_count = (SELECT COUNT(*) FROM forum_topic t WHERE t.board_id = forum_board.id "
    "AND t.approved = TRUE AND t.deleted_at IS NULL AND t.hidden = FALSE), "
    "post_count = COALESCE((SELECT SUM(t.reply_count + 1) FROM forum_topic t "
    "WHERE t.board_id = forum_board.id AND t.approved = TRUE AND t.deleted_at IS NULL "
    "AND t.hidden = FALSE), 0), "
    "last_topic_id = (SELECT t.id FROM forum_topic t WHERE t.board_id = forum_board.id "
    "AND t.approved = TRUE AND t.deleted_at IS NULL AND t.hidden = FALSE "
    "ORDER BY t.last_post_at DESC, t.id DESC LIMIT 1)",
    "UPDATE forum_board SET "
    "last_post_id = (SELECT t.last_post_id FROM forum_topic t "
    "WHERE t.id = forum_board.last_topic_id), "
    "last_post_at = (SELECT t.last_post_at FROM forum_topic t "
    "WHERE t.id = forum_board.last_topic_id), "
    "last_poster_id = (SELECT t.last_poster_id FROM forum_topic t "
    "WHERE t.id = forum_board.last_topic_id)",
]


def repair() -> None:
    """Recompute every position and counter from the posts (not committed)."""
    db.session.flush()
    for stmt in REPAIR_SQL:
        db.session.execute(text(stmt))
    db.session.expire_all()


def renumber(topic: ForumTopic) -> None:
    """Give ``topic``'s approved posts the positions 1..n again, in number order, after posts
    left it (a split or a merge) or joined it out of order; ``approved_count`` follows.

    Two statements per changed post at most: positions that change are cleared first, so the
    unique ``(topic_id, position)`` never sees two rows with one position in between.
    """
    db.session.flush()
    rows = db.session.execute(
        select(ForumPost.id, ForumPost.position)
        .where(ForumPost.topic_id == topic.id, ForumPost.approved.is_(True))
        .order_by(ForumPost.number)
    ).all()
    wanted = {r.id: i for i, r in enumerate(rows, start=1) if r.position != i}
    table = ForumPost.__table__
    if wanted:
        db.session.execute(table.update().where(table.c.id.in_(list(wanted))).values(position=None))
        for post_id, position in wanted.items():
            db.session.execute(
                table.update().where(table.c.id == post_id).values(position=position)
            )
    topic.approved_count = len(rows)
    # rows loaded before still carry their old positions
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, ForumPost) and obj.id in wanted:
            db.session.expire(obj, ["position"])
