"""Drafts saved by JavaScript, and bookmarks with reminders."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import DateTimeLocalField, StringField
from wtforms.validators import Length, Optional

from core.api import QauymForm, can, db, from_local, paginate, parse_id, to_local, utcnow
from plugins.forum import drafts
from plugins.forum import services as svc
from plugins.forum.forms import MAX_BODY
from plugins.forum.message_models import ForumBookmark
from plugins.forum.models import ForumBoard, ForumPost, ForumTopic
from plugins.forum.views.common import _page, _post_or_404, bp


class BookmarkForm(QauymForm):
    note = StringField("", validators=[Optional(), Length(max=300)])
    remind_at = DateTimeLocalField("", format="%Y-%m-%dT%H:%M", validators=[Optional()])


def _bookmark_form() -> BookmarkForm:
    # Labels set here so that they are translated in the reader's language.
    form = BookmarkForm()
    form.note.label.text = _("Note for yourself")
    form.remind_at.label.text = _("Remind me at")
    return form


@bp.app_context_processor
def _draft_lookup() -> dict:
    return {"forum_draft": lambda key: drafts.load(current_user, key)}


def _key_allowed(key: str) -> bool:
    kind, _sep, raw = key.partition(":")
    obj_id = parse_id(raw)
    if obj_id is None:
        return False
    if kind == "board":
        board = db.session.get(ForumBoard, obj_id)
        return board is not None and can(current_user, "forum.post", board)
    if kind == "topic":
        topic = db.session.get(ForumTopic, obj_id)
        return (
            topic is not None
            and topic.deleted_at is None
            and can(current_user, "forum.reply", topic)
        )
    return False


@bp.post("/drafts")
@login_required
def save_draft():
    """The autosave of static/drafts.js: ``key``, ``title``, ``body``; JSON answer."""
    key = (request.form.get("key") or "")[:40]
    if not _key_allowed(key):
        abort(404)
    body = request.form.get("body") or ""
    if len(body) > MAX_BODY:
        return jsonify({"saved": False}), 400
    drafts.save(current_user, key, request.form.get("title") or "", body)
    db.session.commit()
    return jsonify({"saved": True, "message": drafts.draft_message()})


@bp.route("/p/<id:post_id>/bookmark", methods=["GET", "POST"])
@login_required
def bookmark(post_id: int):
    post, _moderator = _post_or_404(post_id)
    existing = drafts.bookmark_of(current_user, post.id)
    form = _bookmark_form()
    if request.method == "GET" and existing is not None:
        form.note.data = existing.note
        form.remind_at.data = to_local(existing.remind_at) if existing.remind_at else None
    if form.validate_on_submit():
        remind_at = from_local(form.remind_at.data) if form.remind_at.data else None
        if remind_at is not None and remind_at <= utcnow():
            form.remind_at.errors = [_("Choose a time in the future.")]
        else:
            bm = existing or ForumBookmark(user_id=current_user.id, post_id=post.id)
            if existing is None:
                db.session.add(bm)
            if bm.remind_at != remind_at:
                bm.reminded_at = None
            bm.note = (form.note.data or "").strip()
            bm.remind_at = remind_at
            db.session.commit()
            flash(_("Bookmarked."), "success")
            return redirect(url_for("forum.bookmarks"))
    return render_template("forum/drafts/bookmark.html", post=post, form=form, existing=existing)


@bp.post("/bookmarks/<id:bookmark_id>/delete")
@login_required
def delete_bookmark(bookmark_id: int):
    bm = db.session.get(ForumBookmark, bookmark_id)
    if bm is None or bm.user_id != current_user.id:
        abort(404)
    db.session.delete(bm)
    db.session.commit()
    flash(_("Bookmark removed."), "success")
    return redirect(url_for("forum.bookmarks"))


@bp.get("/bookmarks")
@login_required
def bookmarks():
    """My bookmarks, newest first; a post the reader may no longer see is left out."""
    stmt = (
        select(ForumBookmark)
        .where(ForumBookmark.user_id == current_user.id)
        .order_by(ForumBookmark.created_at.desc(), ForumBookmark.id.desc())
        .options(selectinload(ForumBookmark.post).selectinload(ForumPost.topic))
    )
    result = paginate(stmt, _page(), 30)
    shown = []
    for bm in result.items:
        topic = bm.post.topic
        if (
            can(current_user, "forum.read", topic.board)
            and topic.deleted_at is None
            and (not topic.hidden or svc.moderates_board(current_user, topic.board))
            and svc.post_visible_to(
                current_user, bm.post, svc.moderates_board(current_user, topic.board)
            )
        ):
            shown.append(bm)
    return render_template(
        "forum/drafts/bookmarks.html", items=shown, page=result.page, pages=result.pages
    )
