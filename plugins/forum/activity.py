"""A member's recent forum activity on their profile (the "profile.sections" slot): the
last topics they started and replies they wrote that the *viewer* may read.

Only what anyone reading the board sees: the board readable by the viewer and the forum
switched on in its association (``services.readable_board_filter``), the topic and the post
approved, neither hidden nor deleted, and never an anonymous post (it must not be tied to
its author).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.api import User, db
from plugins.forum import services as svc
from plugins.forum.models import ForumBoard, ForumPost, ForumTopic

LIMIT = 10


def recent(member: User, viewer: Any, limit: int = LIMIT) -> list[tuple[ForumPost, ForumTopic]]:
    """(post, topic) pairs, newest first; ``post.number == 1`` is a topic started."""
    rows = db.session.execute(
        select(ForumPost, ForumTopic)
        .join(ForumTopic, ForumTopic.id == ForumPost.topic_id)
        .join(ForumBoard, ForumBoard.id == ForumTopic.board_id)
        .where(
            ForumPost.author_id == member.id,
            ForumPost.anonymous.is_(False),
            ForumPost.approved.is_(True),
            ForumPost.hidden.is_(False),
            ForumPost.deleted_at.is_(None),
            ForumTopic.approved.is_(True),
            ForumTopic.deleted_at.is_(None),
            svc.readable_board_filter(viewer),
        )
        .order_by(ForumPost.created_at.desc(), ForumPost.id.desc())
        .limit(limit)
    ).all()
    return [(post, topic) for post, topic in rows]
