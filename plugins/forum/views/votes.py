"""Votes: answers to a topic's poll, and reactions to posts."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.api import (
    db,
    permissions,
    utcnow,
)
from plugins.forum.models import (
    REACTIONS,
    ForumPoll,
    ForumPollVote,
    ForumReaction,
)
from plugins.forum.views.common import (
    _post_or_404,
    _topic_or_404,
    bp,
)


@bp.post("/t/<id:topic_id>/vote")
@login_required
def vote(topic_id: int):
    topic, _mod = _topic_or_404(topic_id)
    permissions.require("forum.post", topic.board)
    poll = db.session.scalar(select(ForumPoll).where(ForumPoll.topic_id == topic.id))
    if poll is None:
        abort(404)
    if poll.closed(utcnow()):
        flash(_("The poll is closed."), "error")
        return redirect(url_for("forum.topic", topic_id=topic.id))
    valid = {o.id for o in poll.options}
    chosen = {int(v) for v in request.form.getlist("option") if v.isdigit()} & valid
    if not chosen or (not poll.multiple and len(chosen) > 1):
        flash(_("Choose an answer."), "error")
        return redirect(url_for("forum.topic", topic_id=topic.id))
    db.session.execute(
        ForumPollVote.__table__.delete().where(
            ForumPollVote.poll_id == poll.id, ForumPollVote.user_id == current_user.id
        )
    )
    for oid in chosen:
        db.session.add(ForumPollVote(poll_id=poll.id, option_id=oid, user_id=current_user.id))
    db.session.commit()
    flash(_("Your vote is counted."), "success")
    return redirect(url_for("forum.topic", topic_id=topic.id))


@bp.post("/p/<id:post_id>/react/<kind>")
@login_required
def react(post_id: int, kind: str):
    post, _mod = _post_or_404(post_id)
    if kind not in REACTIONS:
        abort(404)
    permissions.require("forum.post", post.topic.board)
    if post.author_id == current_user.id or not post.visible:
        abort(400)
    row = db.session.get(ForumReaction, (post.id, current_user.id, kind))
    if row is None:
        db.session.add(ForumReaction(post_id=post.id, user_id=current_user.id, kind=kind))
    else:
        db.session.delete(row)
    db.session.commit()
    return redirect(url_for("forum.permalink", post_id=post.id))
