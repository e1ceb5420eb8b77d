"""Moderators' actions on one post: each is a small function in :data:`POST_ACTIONS`, and
:func:`moderate_post` runs one, tells the author where the action concerns them, and logs it.
The view checks the permission, commits and answers; nothing here reads the request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from core.api import db, notify
from plugins.forum import counters
from plugins.forum import services as svc
from plugins.forum.models import ForumPost


class ModerationError(Exception):
    """The action does not apply: ``status`` 400 (not now, for this post) or 404 (unknown)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _tell_author(post: ForumPost, title: Any, with_link: bool = True) -> None:
    if post.author:
        topic = post.topic
        link = url_for("forum.permalink", post_id=post.id) if with_link else ""
        notify(post.author, "forum.moderation", title, "", link, topic.association_id)


def _hide(post: ForumPost, actor: Any, now: dt.datetime) -> None:
    post.hidden = True


def _unhide(post: ForumPost, actor: Any, now: dt.datetime) -> None:
    post.hidden = False


def _approve(post: ForumPost, actor: Any, now: dt.datetime) -> None:
    topic = post.topic
    if post.approved and post.edit_pending:
        svc.apply_pending_edit(post, now)
        _tell_author(post, _l("Your edit in %(title)s was approved", title=topic.title))
        return
    if post.approved:
        raise ModerationError(400)
    post.approved = True
    if post.number == 1:
        topic.approved = True
    svc.bump(topic, post)
    db.session.flush()
    if post.author:
        svc.notify_new_post(post, post.author)
    _tell_author(post, _l("Your message in %(title)s was approved", title=topic.title))


def _reject(post: ForumPost, actor: Any, now: dt.datetime) -> str | None:
    topic = post.topic
    if post.approved and post.edit_pending:
        # The log keeps the refused text; the post stays as it was approved.
        rejected = post.pending_body or ""
        svc.drop_pending_edit(post)
        _tell_author(post, _l("Your edit in %(title)s was not approved", title=topic.title))
        return rejected
    if post.approved:
        raise ModerationError(400)
    post.deleted_at = now
    post.deleted_by_id = actor.id
    if post.number == 1:
        topic.deleted_at = now
    title = _l("Your message in %(title)s was not approved", title=topic.title)
    _tell_author(post, title, with_link=False)  # the post is gone: no link
    return None


def _official_answer(post: ForumPost, actor: Any, now: dt.datetime) -> None:
    topic = post.topic
    if not topic.addressed_to or post.number == 1:
        raise ModerationError(400)
    svc.official_answered(topic, post, actor)


#: action -> function(post, actor, now); a returned text goes into the log entry's details.
POST_ACTIONS: dict[str, Callable[[ForumPost, Any, dt.datetime], str | None]] = {
    "hide": _hide,
    "unhide": _unhide,
    "approve": _approve,
    "reject": _reject,
    "official_answer": _official_answer,
}


def moderate_post(post: ForumPost, action: str, actor: Any, now: dt.datetime) -> None:
    """Do ``action`` on ``post`` for the moderator ``actor`` and log it (not committed).
    Raises :class:`ModerationError` when the action is unknown or does not apply."""
    run = POST_ACTIONS.get(action)
    if run is None:
        raise ModerationError(404)
    edit_pending = post.approved and post.edit_pending
    details = run(post, actor, now)
    if action in ("hide", "unhide", "approve", "reject"):
        counters.refresh(post.topic)  # rare, so recomputed rather than moved by deltas
    name = f"post.{action}"
    if action == "reject" and edit_pending:
        name = "post.reject_edit"
    topic = post.topic
    svc.log(
        topic.association_id,
        actor,
        name,
        board_id=topic.board_id,
        topic_id=topic.id,
        post_id=post.id,
        **({"details": details} if details is not None else {}),
    )
