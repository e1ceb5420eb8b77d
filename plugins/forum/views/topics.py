"""Topics and posts: writing, reading, editing, history, deleting and restoring, accepted answers,
reactions, polls, flags.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import (
    User,
    cached_page,
    db,
    from_local,
    int_arg,
    notifications,
    permissions,
    utcnow,
)
from plugins.forum import counters, drafts, moderation_work, queries, tags
from plugins.forum import services as svc
from plugins.forum.forms import (
    EditPostForm,
    FlagForm,
    MoveForm,
    OfficialForm,
    TopicForm,
)
from plugins.forum.models import (
    REACTIONS,
    ForumFlag,
    ForumPoll,
    ForumPollOption,
    ForumPollVote,
    ForumPost,
    ForumReaction,
    ForumReadState,
    ForumRevision,
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
    _quote,
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
        out.append(
            {
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
                "accept": urls["accept"](pid) if can_accept and p.number > 1 and visible else None,
                "edit": urls["edit"](pid)
                if p.deleted_at is None and not archived and (moderator or (own and may_edit_own))
                else None,
                "delete": urls["delete"](pid)
                if p.deleted_at is None and not archived and (moderator or (own and may_edit_own))
                else None,
                "restore": urls["restore"](pid)
                if p.deleted_at and not archived and (moderator or (own and p.deleted_by_id == uid))
                else None,
                "reveal": urls["reveal"](pid) if own and p.anonymous else None,
                "flag": urls["flag"](pid) if auth and not own and visible else None,
                "mod": {a: make(pid) for a, make in mod.items()},
            }
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
