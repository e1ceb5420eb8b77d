"""Posts: replying, editing (with moderated edits), the revision history, deleting and
restoring, accepted answers, showing one's name on an anonymous post, flags.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import (
    db,
    int_arg,
    notifications,
    permissions,
    utcnow,
)
from plugins.forum import counters, drafts, moderation_work
from plugins.forum import services as svc
from plugins.forum.forms import (
    EditPostForm,
    FlagForm,
)
from plugins.forum.models import (
    ForumFlag,
    ForumPost,
    ForumRevision,
)
from plugins.forum.views.common import (
    _attach,
    _post_form,
    _post_or_404,
    _quote,
    _save_files,
    _topic_or_404,
    bp,
)


@bp.route("/t/<id:topic_id>/reply", methods=["GET", "POST"])
def reply(topic_id: int):
    topic, moderator = _topic_or_404(topic_id)
    permissions.require("forum.reply", topic)
    board = topic.board
    form = _post_form(board)
    quote_id = int_arg("quote") if request.method == "GET" else None
    if quote_id is not None:
        quoted = db.session.get(ForumPost, quote_id)
        if quoted is not None and quoted.topic_id == topic.id and quoted.visible:
            form.body.data = _quote(quoted, moderator)
    draft_key = drafts.topic_key(topic.id)
    held, draft_ctx = drafts.intercept(form, draft_key, current_user)
    if not held and form.validate_on_submit():
        stored = _save_files(form)
        if stored is not None:
            addressee = svc.is_addressee(current_user, topic)
            pending = not addressee and svc.needs_approval(current_user, board)
            anonymous = bool(board.allow_anonymous and form.anonymous.data) and not addressee
            post = svc.add_post(
                topic, current_user, form.body.data, anonymous=anonymous, approved=not pending
            )
            _attach(post, stored)
            db.session.flush()
            if svc.watch_level(current_user, topic_id=topic.id) == "normal":
                svc.set_watch(current_user, "watching", topic_id=topic.id)
            svc.mark_read(current_user, topic, post.number)
            drafts.discard(current_user, draft_key)
            if pending:
                moderation_work.post_waits(post, current_user, board.association)
                flash(_("Your message waits for a moderator's approval."), "success")
            else:
                svc.notify_new_post(post, current_user)
            if addressee:  # the addressee's answer is the official one
                svc.official_answered(topic, post, current_user)
            db.session.commit()
            return redirect(url_for("forum.permalink", post_id=post.id))
    return render_template(
        "forum/reply.html",
        association=board.association,
        board=board,
        topic=topic,
        form=form,
        active_tab="forum.association",
        **draft_ctx,
    )


@bp.route("/p/<id:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    post, moderator = _post_or_404(post_id)
    permissions.require("forum.edit", post)
    topic = post.topic
    form = EditPostForm(obj=post)
    first = post.number == 1
    own_pending = post.edit_pending and post.author_id == current_user.id
    if request.method == "GET":
        if first:
            form.title.data = (post.pending_title if own_pending else None) or topic.title
        if own_pending:
            form.body.data = post.pending_body  # the author goes on from their waiting version
    if form.validate_on_submit():
        new_title = (form.title.data or "").strip() if first else ""
        changed = form.body.data != post.body or (first and new_title and new_title != topic.title)
        if svc.edit_needs_approval(current_user, post):
            if not changed:
                svc.drop_pending_edit(post)  # back to the approved text: nothing to review
                db.session.commit()
                flash(_("Saved."), "success")
            else:
                title = new_title if first and new_title != topic.title else None
                svc.hold_edit(post, form.body.data, title, utcnow())
                moderation_work.post_waits(post, current_user, topic.board.association)
                db.session.commit()
                flash(
                    _(
                        "Your edit is waiting for a moderator's approval. Until then others "
                        "see the previous version."
                    ),
                    "info",
                )
            return redirect(url_for("forum.permalink", post_id=post.id))
        if changed:
            if post.author_id == current_user.id:
                svc.drop_pending_edit(post)  # this edit replaces one that was waiting
            svc.record_revision(post, current_user, topic.title if first else "")
            post.body = form.body.data
            if first and new_title:
                topic.title = new_title
            post.edited_at = utcnow()
            if moderator and post.author_id != current_user.id:
                svc.log(
                    topic.association_id,
                    current_user,
                    "post.edit",
                    topic_id=topic.id,
                    post_id=post.id,
                )
            db.session.commit()
            flash(_("Saved."), "success")
        return redirect(url_for("forum.permalink", post_id=post.id))
    return render_template(
        "forum/edit.html",
        association=topic.board.association,
        board=topic.board,
        topic=topic,
        post=post,
        form=form,
        first=first,
        active_tab="forum.association",
    )


@bp.get("/p/<id:post_id>/history")
def history(post_id: int):
    post, moderator = _post_or_404(post_id)
    permissions.require("forum.moderate", post)
    revisions = db.session.scalars(
        select(ForumRevision)
        .where(ForumRevision.post_id == post.id)
        .options(selectinload(ForumRevision.editor))
        .order_by(ForumRevision.id.desc())
    ).all()
    return render_template(
        "forum/history.html",
        association=post.topic.board.association,
        post=post,
        topic=post.topic,
        revisions=revisions,
        active_tab="forum.association",
    )


@bp.post("/p/<id:post_id>/delete")
@login_required
def delete_post(post_id: int):
    post, moderator = _post_or_404(post_id)
    permissions.require("forum.edit", post)
    topic = post.topic
    if post.number == 1:
        # Deleting the opening post deletes the topic (restorable by moderators).
        topic.deleted_at = utcnow()
    post.deleted_at = utcnow()
    post.deleted_by_id = current_user.id
    counters.refresh(topic)
    if post.author_id != current_user.id or moderator:
        svc.log(
            topic.association_id, current_user, "post.delete", topic_id=topic.id, post_id=post.id
        )
    db.session.commit()
    flash(_("Deleted."), "success")
    if post.number == 1 and not moderator:
        return redirect(url_for("forum.board", board_id=topic.board_id))
    return redirect(url_for("forum.permalink", post_id=post.id))


@bp.post("/p/<id:post_id>/restore")
@login_required
def restore_post(post_id: int):
    post, moderator = _post_or_404(post_id)
    if not (moderator or (post.deleted_by_id == current_user.id == post.author_id)):
        abort(403)
    if post.topic.board.archived:
        abort(403)
    post.deleted_at = None
    post.deleted_by_id = None
    if post.number == 1:
        post.topic.deleted_at = None
    counters.refresh(post.topic)
    svc.log(
        post.topic.association_id,
        current_user,
        "post.restore",
        topic_id=post.topic_id,
        post_id=post.id,
    )
    db.session.commit()
    flash(_("Restored."), "success")
    return redirect(url_for("forum.permalink", post_id=post.id))


@bp.post("/p/<id:post_id>/accept")
@login_required
def accept(post_id: int):
    post, moderator = _post_or_404(post_id)
    topic = post.topic
    permissions.require("forum.accept", topic)
    if post.number == 1 or not post.visible:
        abort(400)
    undo = topic.accepted_post_id == post.id
    topic.accepted_post_id = None if undo else post.id
    if moderator and topic.author_id != current_user.id:
        svc.log(
            topic.association_id,
            current_user,
            "topic.unaccept" if undo else "topic.accept",
            topic_id=topic.id,
            post_id=post.id,
        )
    if not undo and post.author_id and post.author_id != current_user.id and post.author:
        notifications.notify(
            post.author,
            "forum.accepted",
            _l("Your answer was accepted in %(title)s", title=topic.title),
            "",
            url_for("forum.permalink", post_id=post.id),
            topic.association_id,
        )
    db.session.commit()
    return redirect(url_for("forum.topic", topic_id=topic.id))


@bp.post("/p/<id:post_id>/reveal")
@login_required
def reveal(post_id: int):
    post, _mod = _post_or_404(post_id)
    if post.author_id != current_user.id or not post.anonymous:
        abort(403)
    post.anonymous = False
    if post.number == 1:
        post.topic.anonymous = False
    db.session.commit()
    flash(_("Your name is now shown on this post."), "success")
    return redirect(url_for("forum.permalink", post_id=post.id))


@bp.route("/p/<id:post_id>/flag", methods=["GET", "POST"])
@login_required
def flag(post_id: int):
    post, _mod = _post_or_404(post_id)
    permissions.require("forum.flag", post)
    form = FlagForm()
    if form.validate_on_submit():
        exists = db.session.scalar(
            select(ForumFlag.id).where(
                ForumFlag.post_id == post.id,
                ForumFlag.user_id == current_user.id,
                ForumFlag.status == "open",
            )
        )
        if exists is None:
            db.session.add(
                ForumFlag(
                    post_id=post.id,
                    user_id=current_user.id,
                    reason=form.reason.data,
                    note=(form.note.data or "").strip(),
                )
            )
            moderation_work.flag_raised(post, current_user, post.topic.board.association)
            db.session.commit()
        flash(_("Thank you. The moderators will look at it."), "success")
        return redirect(url_for("forum.permalink", post_id=post.id))
    return render_template(
        "forum/flag.html",
        association=post.topic.board.association,
        post=post,
        topic=post.topic,
        form=form,
        active_tab="forum.association",
    )
