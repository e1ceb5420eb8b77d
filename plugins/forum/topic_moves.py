"""Splitting and merging topics: moderators move posts of one topic into a new topic or into
an existing one of the same association, or merge a whole topic into another.

As in Discourse ("move to a new topic", "move to an existing topic", "merge"), moved posts are
appended to the target after its last post, in their old order, with the target's next
numbers; they keep their ids, so permalinks (``/p/<id>``), notifications, bookmarks, flags,
reactions, revisions and attachments still lead to them. The source keeps its other posts and
their numbers (numbers are never reused); positions are handed out again in both topics
(``counters.renumber``) so paging stays an index range, and the counters of both topics and
their boards are recomputed. A merged topic is deleted and keeps ``merged_into_id``: its
address redirects to the target, and its poll (options and votes) moves with it; a merge of
two topics that both have a poll is refused (a topic has one poll, and dropping either would
lose people's votes).

Watches of a merged topic carry over to the target. Read marks: a reader who had read a
moved post in the source and was up to date in the target (always so for a new topic) is
moved on to that post's new number, so nothing they read shows as unread; anyone else sees
the moved posts as new. The search index follows: the opening post carries its topic's title
(on SQLite the FTS5 row's ``title`` column is rewritten for the moved posts; PostgreSQL reads
the title through the join).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from core.api import db, utcnow
from plugins.forum import counters
from plugins.forum import services as svc
from plugins.forum.models import ForumPoll, ForumPost, ForumReadState, ForumTopic, ForumWatch


class MoveError(ValueError):
    """The move cannot be done; the message is shown to the moderator."""


def _append(source: ForumTopic, target: ForumTopic, posts: list[ForumPost]) -> dict[int, int]:
    """Move ``posts`` (of ``source``) to the end of ``target``; returns old -> new number."""
    posts = sorted(posts, key=lambda p: p.number)
    mapping: dict[int, int] = {}
    table = ForumPost.__table__
    db.session.flush()
    for p in posts:
        target.highest_number = (target.highest_number or 0) + 1
        mapping[p.number] = target.highest_number
        # Positions are cleared first and given again by ``counters.renumber``: the unique
        # (topic_id, number) and (topic_id, position) never see two rows at once.
        db.session.execute(
            table.update()
            .where(table.c.id == p.id)
            .values(topic_id=target.id, number=target.highest_number, position=None)
        )
    for p in posts:
        db.session.expire(p)
    if source.accepted_post_id in {p.id for p in posts}:
        source.accepted_post_id = None
    if source.official_post_id in {p.id for p in posts}:
        source.official_post_id = None
    return mapping


def _carry_read_marks(
    source: ForumTopic, target: ForumTopic, mapping: dict[int, int], caught_up_at: int | None
) -> None:
    """Readers of the moved posts keep them read in the target (see the module's docstring).
    ``caught_up_at``: the target's last number before the move (None for a new topic)."""
    if not mapping:
        return
    olds = sorted(mapping)
    sources = db.session.execute(
        select(ForumReadState.user_id, ForumReadState.last_read_number).where(
            ForumReadState.topic_id == source.id, ForumReadState.last_read_number >= olds[0]
        )
    ).all()
    if not sources:
        return
    targets = dict(
        db.session.execute(
            select(ForumReadState.user_id, ForumReadState.last_read_number).where(
                ForumReadState.topic_id == target.id
            )
        ).all()
    )
    table = ForumReadState.__table__
    for user_id, last in sources:
        read_new = max(mapping[o] for o in olds if o <= last)
        if user_id in targets:
            if caught_up_at is not None and targets[user_id] >= caught_up_at:
                db.session.execute(
                    table.update()
                    .where(table.c.user_id == user_id, table.c.topic_id == target.id)
                    .values(last_read_number=max(read_new, targets[user_id]))
                )
        elif caught_up_at is None or caught_up_at == 0:
            db.session.execute(
                table.insert().values(
                    user_id=user_id, topic_id=target.id, last_read_number=read_new
                )
            )


def _carry_watches(source: ForumTopic, target: ForumTopic) -> None:
    """Who watched or muted the merged topic keeps that level in the target, unless they had
    chosen one there."""
    have = set(
        db.session.scalars(select(ForumWatch.user_id).where(ForumWatch.topic_id == target.id))
    )
    for user_id, level in db.session.execute(
        select(ForumWatch.user_id, ForumWatch.level).where(ForumWatch.topic_id == source.id)
    ):
        if user_id not in have:
            db.session.add(ForumWatch(user_id=user_id, topic_id=target.id, level=level))


def _fix_search(post_ids: list[int]) -> None:
    """SQLite: the FTS5 rows of moved posts carry the title of their topic when they are now
    its opening post, else none (the triggers only follow ``search_text``)."""
    if not post_ids or db.session.get_bind().dialect.name != "sqlite":
        return
    db.session.flush()
    for pid in post_ids:
        db.session.execute(
            text(
                "UPDATE forum_post_fts SET title = COALESCE((SELECT CASE WHEN p.number = 1 "
                "THEN t.search_text ELSE '' END FROM forum_post p JOIN forum_topic t "
                "ON t.id = p.topic_id WHERE p.id = :pid), '') WHERE rowid = :pid"
            ),
            {"pid": pid},
        )


def _finish(source: ForumTopic, target: ForumTopic, moved: list[int]) -> None:
    for t in (source, target):
        counters.renumber(t)
    counters.refresh_topic(source)
    counters.refresh_topic(target)
    for board_id in {source.board_id, target.board_id}:
        counters.refresh_board(board_id)
    _fix_search(moved)


def split_posts(
    source: ForumTopic,
    post_ids: list[int],
    actor: Any,
    *,
    target: ForumTopic | None = None,
    title: str = "",
    board_id: int | None = None,
) -> ForumTopic:
    """Move the posts ``post_ids`` of ``source`` into ``target``, or into a new topic titled
    ``title`` on the board ``board_id`` (of the same association). Not committed."""
    posts = list(
        db.session.scalars(
            select(ForumPost)
            .where(ForumPost.topic_id == source.id, ForumPost.id.in_(post_ids))
            .order_by(ForumPost.number)
        )
    )
    if not posts or len(posts) != len(set(post_ids)):
        raise MoveError("choose")
    if any(p.number == 1 for p in posts):
        raise MoveError("opening")
    caught_up_at: int | None
    if target is None:
        first = posts[0]
        target = ForumTopic(
            board_id=board_id or source.board_id,
            association_id=source.association_id,
            author_id=first.author_id,
            title=title,
            created_at=first.created_at,
            last_post_at=first.created_at,
            anonymous=first.anonymous,
            hidden=source.hidden,
        )
        db.session.add(target)
        db.session.flush()
        caught_up_at = None
    else:
        if target.id == source.id:
            raise MoveError("same")
        if target.association_id != source.association_id:
            raise MoveError("association")
        caught_up_at = target.highest_number or 0
        if caught_up_at == 0:
            caught_up_at = None
    mapping = _append(source, target, posts)
    _carry_read_marks(source, target, mapping, caught_up_at)
    _finish(source, target, [p.id for p in posts])
    svc.log(
        source.association_id,
        actor,
        "topic.split",
        board_id=target.board_id,
        topic_id=target.id,
        details=f"{len(posts)}: {source.title} → {target.title}",
    )
    return target


def merge_topic(source: ForumTopic, target: ForumTopic, actor: Any) -> None:
    """Move every post of ``source`` to the end of ``target``; ``source`` is deleted and its
    address redirects to ``target``. The source's poll (options, votes) moves to the target;
    when both have one, :class:`MoveError` ``"polls"`` and nothing changes. Not committed."""
    if target.id == source.id or target.merged_into_id:
        raise MoveError("same")
    if target.association_id != source.association_id:
        raise MoveError("association")
    poll = db.session.scalar(select(ForumPoll).where(ForumPoll.topic_id == source.id))
    if poll is not None:
        if db.session.scalar(select(ForumPoll.id).where(ForumPoll.topic_id == target.id)):
            raise MoveError("polls")  # a topic holds one poll: neither is dropped
        # The poll goes with its posts; its options and votes hang on the poll, not the topic.
        poll.topic_id = target.id
    posts = list(db.session.scalars(select(ForumPost).where(ForumPost.topic_id == source.id)))
    caught_up_at = target.highest_number or 0
    mapping = _append(source, target, posts)
    _carry_read_marks(source, target, mapping, caught_up_at or None)
    _carry_watches(source, target)
    source.deleted_at = source.deleted_at or utcnow()
    source.merged_into_id = target.id
    _finish(source, target, [p.id for p in posts])
    svc.log(
        source.association_id,
        actor,
        "topic.merge",
        board_id=target.board_id,
        topic_id=target.id,
        details=f"{source.title} → {target.title}",
    )
