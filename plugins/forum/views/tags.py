"""Tags: the topics of an association with a tag, and the author's or a moderator's edit."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.api import association_for, cached_page, db
from plugins.forum import services as svc
from plugins.forum import tags
from plugins.forum.forms import TagsForm
from plugins.forum.models import ForumBoard, ForumTopic, ForumTopicTag
from plugins.forum.views.common import P, _page, _topic_list, _topic_or_404, bp


@bp.get("/a/<slug>/tag/<tag>")
@cached_page
def tag(slug: str, tag: str):
    association = association_for(P, slug)
    name = tags.normalise(tag)
    if not name:
        abort(404)
    stmt = (
        select(ForumTopic)
        .join(ForumBoard, ForumBoard.id == ForumTopic.board_id)
        .join(ForumTopicTag, ForumTopicTag.topic_id == ForumTopic.id)
        .where(
            ForumTopicTag.association_id == association.id,
            ForumTopicTag.tag == name,
            svc.readable_board_filter(current_user),
            ForumTopic.approved.is_(True),
            ForumTopic.deleted_at.is_(None),
        )
        .order_by(ForumTopic.last_post_at.desc(), ForumTopic.id.desc())
    )
    topics, page, pages, read = _topic_list(stmt, _page())
    return render_template(
        "forum/tag.html",
        association=association,
        tag=name,
        topics=topics,
        page=page,
        pages=pages,
        read=read,
        active_tab="forum.association",
    )


def may_edit_tags(topic: ForumTopic, moderator: bool) -> bool:
    if moderator:
        return True
    return (
        current_user.is_authenticated
        and topic.author_id == current_user.id
        and not topic.locked
        and svc.active_ban(current_user, topic.board) is None
    )


@bp.route("/t/<id:topic_id>/tags", methods=["GET", "POST"])
@login_required
def edit_tags(topic_id: int):
    topic, moderator = _topic_or_404(topic_id)
    if not may_edit_tags(topic, moderator):
        abort(403)
    form = TagsForm()
    if form.validate_on_submit():
        tags.set_tags(topic, tags.parse(form.tags.data))
        if moderator and topic.author_id != current_user.id:
            svc.log(
                topic.association_id,
                current_user,
                "topic.tags",
                topic_id=topic.id,
                details=topic.tags,
            )
        db.session.commit()
        flash(_("Tags saved."), "success")
        return redirect(url_for("forum.topic", topic_id=topic.id))
    if not form.is_submitted():
        form.tags.data = ", ".join(topic.tag_list)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "forum/topic_tags.html",
        association=topic.board.association,
        board=topic.board,
        topic=topic,
        form=form,
        active_tab="forum.association",
    ), status
