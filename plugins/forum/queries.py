"""Read-only queries behind the forum's pages, one function per page part, so views only
render. Each runs a fixed number of statements whatever the size of the topic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.api import clamp_page, db, page_count
from plugins.forum import services as svc
from plugins.forum.models import ForumBoard, ForumPost, ForumReaction, ForumTopic


@dataclass
class TopicPage:
    """One page of a topic's posts and what is shown beside them."""

    posts: list[ForumPost]
    page: int
    pages: int
    special: dict[int, ForumPost] = field(default_factory=dict)  # accepted / official answers
    reactions: dict[tuple[int, str], int] = field(default_factory=dict)  # (post, kind) -> n
    mine: set[tuple[int, str]] = field(default_factory=set)  # the viewer's own reactions


def topic_page(topic: ForumTopic, user: Any, moderator: bool, page: int) -> TopicPage:
    """Page ``page`` of the posts ``user`` may see in ``topic`` (past the last: the last)."""
    visible = svc.post_filter(user, moderator)
    total = db.session.scalar(
        select(func.count(ForumPost.id)).where(ForumPost.topic_id == topic.id, visible)
    )
    pages = page_count(total, svc.POSTS_PER_PAGE)
    page = clamp_page(page, total, svc.POSTS_PER_PAGE)
    posts = list(
        db.session.scalars(
            select(ForumPost)
            .where(ForumPost.topic_id == topic.id, visible)
            .options(selectinload(ForumPost.author), selectinload(ForumPost.attachments))
            .order_by(ForumPost.number)
            .limit(svc.POSTS_PER_PAGE)
            .offset((page - 1) * svc.POSTS_PER_PAGE)
        )
    )
    out = TopicPage(posts=posts, page=page, pages=pages)
    special_ids = {i for i in (topic.accepted_post_id, topic.official_post_id) if i}
    if special_ids:
        out.special = {
            p.id: p
            for p in db.session.scalars(
                select(ForumPost)
                .where(ForumPost.id.in_(special_ids), ForumPost.deleted_at.is_(None))
                .options(selectinload(ForumPost.author))
            )
        }
    ids = [p.id for p in posts]
    if ids:
        for pid, kind, n in db.session.execute(
            select(ForumReaction.post_id, ForumReaction.kind, func.count())
            .where(ForumReaction.post_id.in_(ids))
            .group_by(ForumReaction.post_id, ForumReaction.kind)
        ):
            out.reactions[(pid, kind)] = n
        if getattr(user, "is_authenticated", False):
            out.mine = set(
                db.session.execute(
                    select(ForumReaction.post_id, ForumReaction.kind).where(
                        ForumReaction.post_id.in_(ids), ForumReaction.user_id == user.id
                    )
                ).all()
            )
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
