"""Drafts, preview and bookmarks (after Discourse's drafts, composer preview and bookmarks
with reminders).

Drafts are kept on the server per user and per ``key`` (``board:<id>``: a new topic there;
``topic:<id>``: a reply). Without JavaScript the topic and reply forms have two more submit
buttons, "Save draft" (``save_draft``) and "Preview" (``preview``): the view hands the posted
form to :func:`intercept`, which saves or renders and lets the view show the same form again,
everything typed kept. Opening the form again restores the draft; publishing deletes it. With
JavaScript, ``static/drafts.js`` saves the draft a few seconds after typing stops, through
``POST /forum/drafts`` (same checks, JSON answer).

A preview is the body rendered by ``core.api.markdown.render`` (the same markdown-it + nh3
sanitiser as a published post).

Bookmarks: a member keeps a post, with an optional note and an optional reminder time; the job
``forum.bookmark_reminders`` notifies once when the time has come (the core's notify: quiet
hours and preferences apply) and clears nothing else, so the bookmark stays listed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.api import User, db, markdown, notify, utcnow
from plugins.forum.forms import MAX_BODY
from plugins.forum.message_models import ForumBookmark, ForumDraft


def board_key(board_id: int) -> str:
    return f"board:{board_id}"


def topic_key(topic_id: int) -> str:
    return f"topic:{topic_id}"


def _auth(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def load(user: Any, key: str) -> ForumDraft | None:
    if not _auth(user):
        return None
    return db.session.scalar(
        select(ForumDraft).where(ForumDraft.user_id == user.id, ForumDraft.key == key)
    )


def save(user: User, key: str, title: str, body: str, now: dt.datetime | None = None):
    """Keep ``title`` and ``body`` as the user's draft for ``key`` (an empty one is dropped)."""
    draft = load(user, key)
    title, body = (title or "")[:200], (body or "")[:MAX_BODY]
    if not title.strip() and not body.strip():
        if draft is not None:
            db.session.delete(draft)
        return None
    if draft is None:
        draft = ForumDraft(user_id=user.id, key=key)
        db.session.add(draft)
    draft.title, draft.body, draft.updated_at = title, body, now or utcnow()
    return draft


def discard(user: Any, key: str) -> None:
    draft = load(user, key)
    if draft is not None:
        db.session.delete(draft)


def intercept(form, key: str, user: Any) -> tuple[bool, dict]:
    """For a topic or reply view: ``(handled, extra template context)``.

    On GET, a saved draft fills an empty form. On POST with ``preview`` the body is rendered;
    with ``save_draft`` the draft is stored. In both cases ``handled`` is True and the view
    shows its form again instead of publishing."""
    title_field = getattr(form, "title", None)
    if request.method == "GET":
        draft = load(user, key)
        if draft is not None and not form.body.data:
            form.body.data = draft.body
            if title_field is not None and not title_field.data:
                title_field.data = draft.title
        return False, {"draft": draft, "draft_key": key}
    if "preview" in request.form:
        return True, {"preview": markdown.render(form.body.data or ""), "draft_key": key}
    if "save_draft" in request.form:
        title = title_field.data if title_field is not None else ""
        draft = save(user, key, title or "", form.body.data or "")
        db.session.commit()
        return True, {"draft": draft, "draft_saved": True, "draft_key": key}
    return False, {"draft_key": key}


def draft_message() -> str:
    return _("Draft saved.")


# --- bookmarks -----------------------------------------------------------------------


def bookmark_of(user: Any, post_id: int) -> ForumBookmark | None:
    if not _auth(user):
        return None
    return db.session.scalar(
        select(ForumBookmark).where(
            ForumBookmark.user_id == user.id, ForumBookmark.post_id == post_id
        )
    )


def due_reminders(now: dt.datetime) -> None:
    """The job: notify each bookmark whose reminder time has come, once."""
    rows = db.session.scalars(
        select(ForumBookmark).where(
            ForumBookmark.remind_at.is_not(None),
            ForumBookmark.remind_at <= now,
            ForumBookmark.reminded_at.is_(None),
        )
    ).all()
    for bm in rows:
        bm.reminded_at = now
        user = db.session.get(User, bm.user_id)
        post = bm.post
        if user is None or post is None:
            continue
        notify(
            user,
            "forum.bookmark_reminder",
            _l("Reminder: %(title)s", title=post.topic.title),
            bm.note,
            url_for("forum.permalink", post_id=post.id),
            post.topic.association_id,
            now=now,
        )
    db.session.commit()
