"""Read-only queries behind the forum's pages, one function per page part, so views only
render. Each runs a fixed number of statements whatever the size of the topic."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, case, func, select, union_all
from sqlalchemy.orm import aliased, joinedload

from core.api import db, utcnow
from plugins.forum import services as svc
from plugins.forum.drafts import topic_key
from plugins.forum.mailing_list import ForumMailingList
from plugins.forum.message_models import ForumDraft
from plugins.forum.models import (
    ForumBan,
    ForumBoard,
    ForumPost,
    ForumReaction,
    ForumReadState,
    ForumTopic,
    ForumWatch,
)


@dataclass
class TopicPage:
    """One page of a topic's posts and what is shown beside them."""

    posts: list[ForumPost]
    page: int
    pages: int
    special: dict[int, ForumPost] = field(default_factory=dict)  # accepted / official answers
    reactions: dict[tuple[int, str], int] = field(default_factory=dict)  # (post, kind) -> n
    mine: set[tuple[int, str]] = field(default_factory=set)  # the viewer's own reactions


def _on_page(post: ForumPost, lo: int, hi: int, moderator: bool, user: Any) -> bool:
    """Whether a row of the page's statement belongs to the page (and is not only there as
    the accepted or official answer shown above the thread)."""
    if post.position is not None:
        return lo < post.position <= hi
    return moderator or post.author_id == getattr(user, "id", None)


#: The post at a page boundary, in the pending posts' lookup. Made once: ``aliased()`` copies
#: every column of the table (a millisecond per page when made per request).
_P2 = aliased(ForumPost)


@functools.cache
def _topic_page_statement(
    member: bool, moderator: bool, after_first: bool, before_last: bool, special: bool
):
    """The statement of a topic page's posts for one shape of page and reader, built once
    with the topic, the page's ends, the reader and the answers' ids bound (``topic_id``,
    ``lo``, ``hi``, ``uid``, ``special``): building it and computing its cache key took longer
    than SQLite takes to run it.

    Each part of the page is its own indexed lookup, joined by UNION ALL and fetched by
    primary key. Written as one WHERE with OR, SQLite walked every post of the topic on the
    (topic_id, number) index for a logged-in reader: 24 ms on a 40,000-post topic, against
    well under 1 ms this way, on page 1 as on page 2,000 (test_forum_queries checks the plan).
    """
    topic_id = bindparam("topic_id")
    parts = [
        select(ForumPost.id).where(
            ForumPost.topic_id == topic_id,
            ForumPost.position > bindparam("lo"),
            ForumPost.position <= bindparam("hi"),
        )
    ]
    if member:

        def number_at(position):
            return (
                select(_P2.number)
                .where(_P2.topic_id == topic_id, _P2.position == position)
                .scalar_subquery()
            )

        pending = [ForumPost.topic_id == topic_id, ForumPost.position.is_(None)]
        if after_first:
            pending.append(ForumPost.number > number_at(bindparam("lo")))
        if before_last:
            pending.append(ForumPost.number <= number_at(bindparam("hi")))
        if not moderator:
            # "+ 0" keeps SQLite on the (topic_id, position IS NULL) lookup: pending posts are
            # few, while the author index would read every post the author ever wrote.
            pending.append(ForumPost.author_id + 0 == bindparam("uid"))
        parts.append(select(ForumPost.id).where(*pending))
    # The accepted and official answers come in the same statement, authors and attachments
    # joined: one statement for every post on the page (five before).
    if special:
        parts.append(
            select(ForumPost.id).where(
                ForumPost.id.in_(bindparam("special", expanding=True)),
                ForumPost.deleted_at.is_(None),
            )
        )
    where = ForumPost.id.in_(union_all(*parts) if len(parts) > 1 else parts[0])
    return (
        select(ForumPost)
        .where(where)
        .options(joinedload(ForumPost.author), joinedload(ForumPost.attachments))
        .order_by(ForumPost.number)
    )


@functools.cache
def _reactions_statement():
    """Counts of a page's reactions and the reader's own (``ids``, ``me`` bound): one
    statement (two before), built once."""
    return (
        select(
            ForumReaction.post_id,
            ForumReaction.kind,
            func.count(),
            func.max(case((ForumReaction.user_id == bindparam("me"), 1), else_=0)),
        )
        .where(ForumReaction.post_id.in_(bindparam("ids", expanding=True)))
        .group_by(ForumReaction.post_id, ForumReaction.kind)
    )


def topic_page(topic: ForumTopic, user: Any, moderator: bool, page: int) -> TopicPage:
    """Page ``page`` of the posts ``user`` may see in ``topic`` (past the last: the last).

    Page N holds the approved posts at positions (N-1)*20+1 .. N*20 (``counters``), found by
    a range on the unique index ``(topic_id, position)``: the same few index steps on page 1
    and page 2,000. Before, ``COUNT(*)`` of the topic's posts (9 ms on a 39,595-post topic)
    and ``OFFSET`` (reading every earlier post) grew with the topic. Pending posts, shown to
    their author and to moderators, have no position: they appear on the page of the approved
    post before them, found in the same statement by number between the page's two ends.
    """
    per = svc.POSTS_PER_PAGE
    pages = max(1, -(-(topic.approved_count or 0) // per))
    page = min(max(page, 1), pages)
    lo, hi = (page - 1) * per, page * per
    member = moderator or getattr(user, "is_authenticated", False)
    special_ids = {i for i in (topic.accepted_post_id, topic.official_post_id) if i}
    params: dict[str, Any] = {"topic_id": topic.id, "lo": lo, "hi": hi}
    if member and not moderator:
        params["uid"] = user.id
    if special_ids:
        params["special"] = sorted(special_ids)
    stmt = _topic_page_statement(member, moderator, bool(lo), page < pages, bool(special_ids))
    rows = db.session.scalars(stmt, params).unique().all()
    posts = [p for p in rows if p.topic_id == topic.id and _on_page(p, lo, hi, moderator, user)]
    out = TopicPage(posts=posts, page=page, pages=pages)
    out.special = {p.id: p for p in rows if p.id in special_ids and p.deleted_at is None}
    ids = [p.id for p in posts]
    if ids:
        # Counts and the reader's own reactions in one statement (two before).
        me = user.id if getattr(user, "is_authenticated", False) else -1
        for pid, kind, n, own in db.session.execute(_reactions_statement(), {"ids": ids, "me": me}):
            out.reactions[(pid, kind)] = n
            if own:
                out.mine.add((pid, kind))
    return out


def board_choices(association_id: int) -> list[tuple[int, str]]:
    """The association's boards as ``(id, name)``, in their order (moving a topic)."""
    return [
        (b.id, b.name)
        for b in db.session.scalars(
            select(ForumBoard)
            .where(ForumBoard.association_id == association_id)
            .order_by(ForumBoard.position)
        )
    ]


@dataclass
class Viewer:
    """What the page needs to know about a logged-in reader, read in one statement."""

    level: str = "normal"
    last_read: int | None = None  # None: never opened
    banned: bool = False
    has_draft: bool = False  # a saved reply draft for this topic (the "continue" link)


def _active_ban_id():
    """A scalar subquery: the id of a ban of the user (``:user_id``) from the board
    (``:board_id``) still running at ``:now``, or NULL (``svc.active_ban`` as one column of a
    viewer's statement)."""
    return (
        select(ForumBan.id)
        .where(
            ForumBan.board_id == bindparam("board_id"),
            ForumBan.user_id == bindparam("user_id"),
            ForumBan.until > bindparam("now"),
        )
        .limit(1)
        .scalar_subquery()
    )


# The viewers' statements run on every page a member opens; they are built once per process
# with bound parameters (see "Statements a page runs every time" in DEVELOPERS.md).
@functools.cache
def _viewer_statement():
    user_id, topic_id = bindparam("user_id"), bindparam("topic_id")
    return select(
        select(ForumWatch.level)
        .where(ForumWatch.user_id == user_id, ForumWatch.topic_id == topic_id)
        .scalar_subquery(),
        select(ForumReadState.last_read_number)
        .where(ForumReadState.user_id == user_id, ForumReadState.topic_id == topic_id)
        .scalar_subquery(),
        _active_ban_id(),
        select(ForumDraft.id)
        .where(
            ForumDraft.user_id == user_id,
            ForumDraft.key == bindparam("draft_key"),
            ForumDraft.body != "",
        )
        .scalar_subquery(),
    )


def viewer_state(user: Any, topic: ForumTopic) -> Viewer:
    """The reader's watch level, read mark, ban from the board and saved reply draft in one
    statement (four before, plus a ban lookup per post for the edit links)."""
    if not getattr(user, "is_authenticated", False):
        return Viewer()
    row = db.session.execute(
        _viewer_statement(),
        {
            "user_id": user.id,
            "topic_id": topic.id,
            "board_id": topic.board_id,
            "draft_key": topic_key(topic.id),
            "now": utcnow(),
        },
    ).one()
    return Viewer(
        level=row[0] or "normal",
        last_read=row[1],
        banned=row[2] is not None,
        has_draft=row[3] is not None,
    )


@dataclass
class BoardViewer:
    """What a board page needs to know about a logged-in reader, read in one statement."""

    level: str = "normal"  # watching the board
    banned: bool = False
    subscribed: bool = False  # to the board's mailing list


@functools.cache
def _board_viewer_statement():
    user_id, board_id = bindparam("user_id"), bindparam("board_id")
    return select(
        select(ForumWatch.level)
        .where(ForumWatch.user_id == user_id, ForumWatch.board_id == board_id)
        .scalar_subquery(),
        _active_ban_id(),
        select(ForumMailingList.id)
        .where(ForumMailingList.user_id == user_id, ForumMailingList.board_id == board_id)
        .limit(1)
        .scalar_subquery(),
    )


def board_viewer(user: Any, board: ForumBoard) -> BoardViewer:
    """The reader's watch level, ban from the board and mailing-list subscription in one
    statement (three before: ``svc.watch_level``, ``svc.active_ban``,
    ``mailing_list.is_subscribed``)."""
    if not getattr(user, "is_authenticated", False):
        return BoardViewer()
    row = db.session.execute(
        _board_viewer_statement(), {"user_id": user.id, "board_id": board.id, "now": utcnow()}
    ).one()
    return BoardViewer(
        level=row[0] or "normal", banned=row[1] is not None, subscribed=row[2] is not None
    )


def mark_read(user: Any, topic: ForumTopic, viewer: Viewer, number: int) -> bool:
    """Move the read mark to ``number`` with one statement, none when already there."""
    if not getattr(user, "is_authenticated", False) or number <= 0:
        return False
    table = ForumReadState.__table__
    if viewer.last_read is None:
        db.session.execute(
            table.insert().values(user_id=user.id, topic_id=topic.id, last_read_number=number)
        )
    elif number > viewer.last_read:
        db.session.execute(
            table.update()
            .where(
                table.c.user_id == user.id,
                table.c.topic_id == topic.id,
                table.c.last_read_number < number,
            )
            .values(last_read_number=number)
        )
    else:
        return False
    return True
