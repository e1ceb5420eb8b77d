"""Replies by email (the ``email_reply`` hook): the core checked the reply key, the sender, the
account, the rate limit and the size, and hands over the reply's text; the forum runs the
checks of the web reply form (:func:`plugins.forum.views.posts.reply`) in the same order and
posts, or refuses with a reason the core mails back in the user's language.

Targets are ``"topic:<id>"``, given by :func:`plugins.forum.services.notify_new_post` and the
mailing list.

Files that came with the reply (attachments, and images pasted into the text: the core leaves
out tiny inline signature logos) go through the web form's checks
(:mod:`plugins.forum.post_files`: at most 5, type by content, size) and become the post's
attachments. Unlike the web form, a file that fails does not stop the reply: the writer is not
there to fix it, so the text posts with the files that passed and the core mails the writer
the names of the others, with the reason, in their language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from core.api import (
    EmailReplyResult,
    MailAttachment,
    User,
    db,
    multi_line,
    permissions,
    plugin_gate,
    to_local,
)
from plugins.forum import moderation_work, post_files
from plugins.forum import services as svc
from plugins.forum.forms import MAX_BODY
from plugins.forum.models import ForumTopic


def _refused(reason: Any) -> EmailReplyResult:
    return EmailReplyResult(False, reason)


def handle(
    target: str,
    user: User,
    text: str,
    now: dt.datetime,
    attachments: Sequence[MailAttachment] = (),
) -> EmailReplyResult:
    kind, _, raw_id = target.partition(":")
    topic = None
    if kind == "topic" and raw_id.isdigit() and len(raw_id) < 19:
        topic = db.session.get(ForumTopic, int(raw_id))
    gone = _l("The topic you replied to no longer exists.")
    if topic is None:
        return _refused(gone)
    board = topic.board
    if not plugin_gate.is_enabled("forum", topic.association_id):
        return _refused(_l("The forum is switched off for this association."))
    moderator = svc.moderates_board(user, board)
    if topic.deleted_at is not None or (not topic.approved and not moderator):
        return _refused(gone)
    if not svc.can_read_board(user, board) or not (
        permissions.is_member(user, board.association_id) or moderator
    ):
        return _refused(_l("You are no longer a member of the association."))
    ban = svc.active_ban(user, board)
    if ban is not None:
        until = to_local(ban.until).strftime("%d.%m.%Y %H:%M")
        return _refused(_l("You may not write on this board until %(until)s.", until=until))
    if topic.locked and not moderator:
        return _refused(_l("The topic is closed for new replies."))
    body = multi_line(text).strip()
    if not body:
        return _refused(_l("No text was found in your message above the quoted part."))
    if len(body) > MAX_BODY:
        return _refused(
            _l(
                "The reply is longer than %(max)d characters (%(count)d).",
                max=MAX_BODY,
                count=len(body),
            )
        )
    pending = svc.needs_approval(user, board)
    stored, refused = post_files.store_each([a.as_upload() for a in attachments])
    try:
        post = svc.add_post(topic, user, body, approved=not pending)
        post_files.attach(post, stored)
        db.session.flush()
    except Exception:
        post_files.discard(stored)  # nothing stays in storage for a reply that did not post
        raise
    if svc.watch_level(user, topic_id=topic.id) == "normal":
        svc.set_watch(user, "watching", topic_id=topic.id)
    svc.mark_read(user, topic, post.number)
    if pending:
        moderation_work.post_waits(post, user, board.association)
    else:
        svc.notify_new_post(post, user)
    return EmailReplyResult(
        True, url=url_for("forum.permalink", post_id=post.id), refused_files=tuple(refused)
    )
