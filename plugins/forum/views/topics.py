"""Topics: starting one, the topic page (posts with their links, computed once per page), the
first unread post, permalinks, watching.

Replies and what is done to one post are in :mod:`plugins.forum.views.posts`; poll votes and
reactions in :mod:`plugins.forum.views.votes`.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.api import (
    User,
    cached_page,
    db,
    from_local,
    permissions,
    utcnow,
)
from plugins.forum import drafts, moderation_work, queries, tags
from plugins.forum import services as svc
from plugins.forum.forms import (
    MoveForm,
    OfficialForm,
    TopicForm,
)
from plugins.forum.models import (
    REACTIONS,
    ForumPoll,
    ForumPollOption,
    ForumPost,
    ForumReadState,
    ForumTopic,
)
from plugins.forum.views.common import (
    _attach,
    _board_or_404,
    _page,
    _poll_view,
    _post_form,
    _post_or_404,
    _post_url,
    _save_files,
    _topic_or_404,
    _url_maker,
    bp,
)


@bp.route("/b/<id:board_id>/new", methods=["GET", "POST"])
def new_topic(board_id: int):
    board = _board_or_404(board_id)
    permissions.require("forum.post", board)
    form = TopicForm()
    if not board.allow_anonymous:
        del form.anonymous
    officials = svc.official_choices(board.association_id) if board.officials else []
    if not board.officials:
        del form.addressed_to
    if not officials:
        del form.addressee
    else:
        form.addressee.choices = [(0, "—"), *officials]
    draft_key = drafts.board_key(board.id)
    held, draft_ctx = drafts.intercept(form, draft_key, current_user)
    if not held and form.validate_on_submit():
        stored = _save_files(form)
        if stored is not None:
            pending = svc.needs_approval(current_user, board)
            anonymous = bool(board.allow_anonymous and form.anonymous.data)
            now = utcnow()
            topic = ForumTopic(
                board_id=board.id,
                association_id=board.association_id,
                author_id=current_user.id,
                title=form.title.data.strip(),
                kind=form.kind.data,
                created_at=now,
                last_post_at=now,
                last_poster_id=None if anonymous else current_user.id,
                approved=not pending,
                anonymous=anonymous,
            )
            if board.officials and form.addressed_to.data:
                topic.addressed_to = form.addressed_to.data.strip()
                topic.official_status = "open"
            if officials and form.addressee.data:
                topic.addressee_id = form.addressee.data
                # the list may have changed since the form was shown: then no title
                title = svc.official_title(board.association_id, form.addressee.data)
                topic.addressed_to = title or topic.addressed_to or "—"
                topic.official_status = "open"
            db.session.add(topic)
            tags.set_tags(topic, tags.parse(form.tags.data))
            post = svc.add_post(
                topic, current_user, form.body.data, anonymous=anonymous, approved=not pending
            )
            _attach(post, stored)
            if form.poll_question.data:
                db.session.flush()
                poll = ForumPoll(
                    topic_id=topic.id,
                    question=form.poll_question.data.strip(),
                    multiple=form.poll_multiple.data,
                    closes_at=from_local(form.poll_closes_at.data)
                    if form.poll_closes_at.data
                    else None,
                )
                poll.options = [
                    ForumPollOption(position=i, text=t) for i, t in enumerate(form.options)
                ]
                db.session.add(poll)
            db.session.flush()
            svc.set_watch(current_user, "watching", topic_id=topic.id)
            if topic.addressee_id and topic.addressee_id != current_user.id:
                addressee = db.session.get(User, topic.addressee_id)
                if addressee is not None:  # they hear of the replies to their question
                    svc.set_watch(addressee, "watching", topic_id=topic.id)
            svc.mark_read(current_user, topic, 1)
            drafts.discard(current_user, draft_key)
            if pending:
                moderation_work.post_waits(post, current_user, board.association)
                flash(_("Your topic waits for a moderator's approval."), "success")
            else:
                svc.notify_new_post(post, current_user)
            db.session.commit()
            return redirect(url_for("forum.topic", topic_id=topic.id))
    return render_template(
        "forum/topic_form.html",
        association=board.association,
        board=board,
        form=form,
        active_tab="forum.association",
        **draft_ctx,
    )


def _post_views(topic, posts, moderator, viewer, can_reply, can_accept, targets):
    """Everything the template shows per post, computed here once per page: permissions from
    values read once (the reader, the ban, the moderator flag), URLs from :func:`_url_maker`,
    stored HTML. The template used to call ``current_user`` 327 times and ``url_for`` 138
    times per page through per-post lambdas."""
    auth = current_user.is_authenticated
    uid = current_user.id if auth else None
    urls = {
        "permalink": _url_maker("forum.permalink"),
        "quote": _url_maker("forum.reply", key="quote", topic_id=topic.id),
        "accept": _url_maker("forum.accept"),
        "edit": _url_maker("forum.edit_post"),
        "delete": _url_maker("forum.delete_post"),
        "restore": _url_maker("forum.restore_post"),
        "reveal": _url_maker("forum.reveal"),
        "flag": _url_maker("forum.flag"),
        "history": _url_maker("forum.history"),
        "att": _url_maker("forum.attachment", key="att_id"),
        "att_inline": _url_maker("forum.attachment", key="att_id", inline=1),
    }
    react = {k: _url_maker("forum.react", kind=k) for k in REACTIONS}
    mod = (
        {
            a: _url_maker("forum.post_mod", action=a)
            for a in ("approve", "reject", "hide", "unhide", "official_answer")
        }
        if moderator
        else {}
    )
    archived = topic.board.archived
    may_edit_own = auth and not topic.locked and not viewer.banned and not archived
    out = []
    for p in posts:
        own = auth and p.author_id == uid
        visible = p.visible
        shown = svc.show_body(current_user, p, moderator)
        own_pending = p.edit_pending and own
        html = None
        if shown:
            html = svc.cooked_pending(p) if own_pending else svc.cooked(p)
            html = svc.link_mentions(html, targets)
        pid = p.id
        # A namespace, not a dict: the template reads ``v.x`` some twenty times per post, and
        # Jinja tries an attribute before a key, so on a dict each read raised and caught an
        # AttributeError (half a millisecond per page).
        out.append(
            SimpleNamespace(
                **{
                    "p": p,
                    "label": svc.author_label(current_user, p, moderator),
                    "shown": shown,
                    "own_pending_edit": own_pending,
                    "html": html,
                    "permalink": urls["permalink"](pid),
                    "history": urls["history"](pid) if moderator and p.edited_at else None,
                    "attachments": [
                        (a, urls["att"](a.id), urls["att_inline"](a.id) if a.is_image else None)
                        for a in p.attachments
                    ],
                    "react": {k: react[k](pid) for k in REACTIONS}
                    if can_reply and visible and auth and not own
                    else None,
                    "quote": urls["quote"](pid) if can_reply and visible else None,
                    "accept": urls["accept"](pid)
                    if can_accept and p.number > 1 and visible
                    else None,
                    "edit": urls["edit"](pid)
                    if p.deleted_at is None
                    and not archived
                    and (moderator or (own and may_edit_own))
                    else None,
                    "delete": urls["delete"](pid)
                    if p.deleted_at is None
                    and not archived
                    and (moderator or (own and may_edit_own))
                    else None,
                    "restore": urls["restore"](pid)
                    if p.deleted_at
                    and not archived
                    and (moderator or (own and p.deleted_by_id == uid))
                    else None,
                    "reveal": urls["reveal"](pid) if own and p.anonymous else None,
                    "flag": urls["flag"](pid) if auth and not own and visible else None,
                    "mod": SimpleNamespace(**{a: make(pid) for a, make in mod.items()}),
                }
            )
        )
    return out


@bp.get("/t/<id:topic_id>")
@cached_page
def topic(topic_id: int):
    topic, moderator = _topic_or_404(topic_id)
    board = topic.board
    page = _page()
    viewer = queries.viewer_state(current_user, topic)
    tp = queries.topic_page(topic, current_user, moderator, page)
    posts, special = tp.posts, tp.special
    poll = _poll_view(topic)
    shown = [p for p in posts if svc.show_body(current_user, p, moderator)]
    targets = svc.mention_targets(
        [p.body for p in shown] + [p.body for p in special.values()], topic.association_id
    )
    move_form = None
    if moderator:
        move_form = MoveForm()
        move_form.board_id.choices = queries.board_choices(topic.association_id)
        move_form.board_id.data = topic.board_id
    # svc.can_reply without its ban lookup: the ban came with the viewer's state.
    auth = current_user.is_authenticated
    addressee = svc.is_addressee(current_user, topic)
    can_reply = (
        auth
        and not viewer.banned
        and not board.archived
        and (not topic.locked or moderator)
        and (moderator or addressee or permissions.is_member(current_user, board.association_id))
    )
    can_accept = svc.can_accept(current_user, topic)
    # The accepted and the official answer above the thread, one box per post (one with both
    # marks when they are the same post); the text only when the post is not on this page,
    # where it carries the same marks: each answer's text is shown once.
    on_page = {p.id for p in posts}
    answers = [
        (p, p.id not in on_page)
        for p in special.values()
        if svc.show_body(current_user, p, moderator)
    ]
    html = render_template(
        "forum/topic.html",
        association=board.association,
        board=board,
        topic=topic,
        posts=_post_views(topic, posts, moderator, viewer, can_reply, can_accept, targets),
        page=tp.page,
        pages=tp.pages,
        moderator=moderator,
        special=special,
        answers=answers,
        reactions=tp.reactions,
        mine=tp.mine,
        poll=poll,
        reply_form=_post_form(board) if can_reply else None,
        can_reply=can_reply,
        # views/tags.may_edit_tags without its ban lookup: the ban came with the viewer's state.
        may_edit_tags=moderator
        or (auth and topic.author_id == current_user.id and not topic.locked and not viewer.banned),
        level=viewer.level if auth else None,
        has_draft=viewer.has_draft,
        move_form=move_form,
        official_form=OfficialForm(status=topic.official_status)
        if moderator or addressee
        else None,
        label=lambda p: svc.author_label(current_user, p, moderator),
        body=lambda p: svc.link_mentions(svc.cooked(p), targets),
        profile_url=_url_maker("core.profile", key="user_id"),
        REACTIONS=REACTIONS,
        active_tab="forum.association",
    )
    # Read tracking is written after rendering: a commit expires the loaded rows.
    if posts and queries.mark_read(current_user, topic, viewer, max(p.number for p in posts)):
        db.session.commit()
    return html


@bp.get("/t/<id:topic_id>/unread")
def topic_unread(topic_id: int):
    topic, moderator = _topic_or_404(topic_id)
    last = 0
    if current_user.is_authenticated:
        state = db.session.get(ForumReadState, (current_user.id, topic.id))
        last = state.last_read_number if state else 0
    target = db.session.scalar(
        select(ForumPost)
        .where(
            ForumPost.topic_id == topic.id,
            ForumPost.number > last,
            svc.post_filter(current_user, moderator),
        )
        .order_by(ForumPost.number)
        .limit(1)
    )
    if target is None:
        target = db.session.scalar(
            select(ForumPost)
            .where(ForumPost.topic_id == topic.id, svc.post_filter(current_user, moderator))
            .order_by(ForumPost.number.desc())
            .limit(1)
        )
    if target is None:
        return redirect(url_for("forum.topic", topic_id=topic.id))
    return redirect(_post_url(target, moderator))


@bp.get("/p/<id:post_id>")
def permalink(post_id: int):
    """A post's stable address: redirects to the page of the thread that shows it now."""
    post, moderator = _post_or_404(post_id)
    return redirect(_post_url(post, moderator))


@bp.post("/t/<id:topic_id>/watch")
@login_required
def watch_topic(topic_id: int):
    topic, _mod = _topic_or_404(topic_id)
    level = request.form.get("level", "normal")
    if level not in ("muted", "normal", "watching"):
        abort(400)
    svc.set_watch(current_user, level, topic_id=topic.id)
    db.session.commit()
    flash(_("Notification level saved."), "success")
    return redirect(url_for("forum.topic", topic_id=topic.id))
