"""Telling an association's moderators that work waits: a post for approval, a new flag.

The people told are the association's moderators; an association without one tells its
leaders and coordinators, who moderate too. The actor is never told of their own work.
Quiet hours and each person's preferences are the core's (``notify``).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.api import Membership, Role, User, db, notify

KIND = "forum.moderation_work"


def moderators(association_id: int) -> list[User]:
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.association_id == association_id,
            Membership.role.in_((Role.MODERATOR, Role.LEADER, Role.COORDINATOR)),
        )
        .order_by(User.id)
    ).all()
    own = [u for u, role in rows if role == Role.MODERATOR]
    return own or [u for u, _role in rows]


def _tell(association_id: int, actor: Any, title: Any, url: str) -> None:
    people = [u for u in moderators(association_id) if u.id != getattr(actor, "id", None)]
    if people:
        notify(people, KIND, title, "", url, association_id)


def post_waits(post: Any, actor: Any, association: Any) -> None:
    """A new post (or an edit) waits in the approval queue."""
    _tell(
        association.id,
        actor,
        _l("Forum: a message waits for approval in “%(topic)s”", topic=post.topic.title),
        url_for("forum.queue", slug=association.slug),
    )


def flag_raised(post: Any, actor: Any, association: Any) -> None:
    """Someone flagged a post."""
    _tell(
        association.id,
        actor,
        _l("Forum: a message in “%(topic)s” was flagged", topic=post.topic.title),
        url_for("forum.flags", slug=association.slug),
    )
