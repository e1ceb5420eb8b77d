"""Forum pages (blueprint ``forum`` at ``/forum``).

Every page of a board, topic or post resolves its association, returns 404 when the forum is
switched off there (``plugin_gate``), then checks the permission for the object. Lists across
associations use :func:`services.readable_board_filter`.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from core.api import (
    Association,
    Membership,
    User,
    association_for,
    clamp_page,
    date_arg,
    db,
    from_local,
    int_arg,
    markdown,
    notifications,
    page_arg,
    page_count,
    paginate,
    permissions,
    plugin_gate,
    safe_next,
    site_date,
    uploads,
    utcnow,
)
from plugins.forum import services as svc
from plugins.forum.forms import (
    BanForm,
    BoardForm,
    EditPostForm,
    FlagForm,
    MoveForm,
    OfficialForm,
    PostForm,
    SearchForm,
    TopicForm,
)
from plugins.forum.models import (
    REACTIONS,
    ForumAttachment,
    ForumBan,
    ForumBoard,
    ForumFlag,
    ForumModLog,
    ForumPoll,
    ForumPollOption,
    ForumPollVote,
    ForumPost,
    ForumPrefs,
    ForumReaction,
    ForumReadState,
    ForumRevision,
    ForumTopic,
)

bp = Blueprint("forum", __name__, template_folder="templates", static_folder="static")
P = svc.PLUGIN


@bp.context_processor
def _forum_context() -> dict:
    return {"forum_new_since": utcnow() - svc.NEW_WINDOW}


# --- lookups --------------------------------------------------------------------------


def _board_or_404(board_id: int) -> ForumBoard:
    board = db.session.get(ForumBoard, board_id)
    if board is None:
        abort(404)
    plugin_gate.abort_unless_enabled(P, board.association)
    permissions.require("forum.read", board)
    return board


def _topic_or_404(topic_id: int) -> tuple[ForumTopic, bool]:
    topic = db.session.get(ForumTopic, topic_id)
    if topic is None:
        abort(404)
    plugin_gate.abort_unless_enabled(P, topic.board.association)
    permissions.require("forum.read", topic.board)
    moderator = svc.moderates_board(current_user, topic.board)
    own = current_user.is_authenticated and topic.author_id == current_user.id
    if not moderator and (topic.deleted_at is not None or (not topic.approved and not own)):
        abort(404)
    return topic, moderator


def _post_or_404(post_id: int) -> tuple[ForumPost, bool]:
    post = db.session.get(ForumPost, post_id)
    if post is None:
        abort(404)
    topic, moderator = _topic_or_404(post.topic_id)
    if not svc.post_visible_to(current_user, post, moderator):
        abort(404)
    return post, moderator


def _back(default: str) -> str:
    return safe_next(request.form.get("next"), default)


def _page() -> int:
    return page_arg()


# --- lists ----------------------------------------------------------------------------


def _topic_list(stmt, page: int, per_page: int = svc.TOPICS_PER_PAGE):
    """One page of topics (a page past the last one is the last one): topics, page, pages,
    and the reader's unread numbers."""
    result = paginate(
        stmt,
        page,
        per_page,
        options=(selectinload(ForumTopic.author), selectinload(ForumTopic.last_poster)),
    )
    read = svc.unread_numbers(current_user, [t.id for t in result.items])
    return result.items, result.page, result.pages, read


@bp.get("/")
def latest():
    page = _page()
    only_unread = request.args.get("filter") == "unread" and current_user.is_authenticated
    stmt = (
        select(ForumTopic)
        .join(ForumBoard, ForumBoard.id == ForumTopic.board_id)
        .where(
            svc.readable_board_filter(current_user),
            ForumTopic.approved.is_(True),
            ForumTopic.deleted_at.is_(None),
        )
        .order_by(ForumTopic.last_post_at.desc(), ForumTopic.id.desc())
    )
    if only_unread:
        rs = ForumReadState
        stmt = stmt.outerjoin(
            rs, and_(rs.topic_id == ForumTopic.id, rs.user_id == current_user.id)
        ).where(svc.unread_condition(current_user))
    topics, page, pages, read = _topic_list(stmt, page)
    prefs = db.session.get(ForumPrefs, current_user.id) if current_user.is_authenticated else None
    return render_template(
        "forum/latest.html",
        topics=topics,
        page=page,
        pages=pages,
        read=read,
        only_unread=only_unread,
        prefs=prefs,
        show_board=True,
    )


@bp.get("/unread")
@login_required
def unread():
    return redirect(url_for("forum.latest", filter="unread"))


@bp.get("/a/<slug>")
def association(slug: str):
    association = association_for(P, slug)
    boards = db.session.scalars(
        select(ForumBoard)
        .where(ForumBoard.association_id == association.id, svc.readable_board_filter(current_user))
        .order_by(ForumBoard.position, ForumBoard.id)
    ).all()
    ids = [b.id for b in boards]
    counts = (
        dict(
            db.session.execute(
                select(ForumTopic.board_id, func.count(ForumTopic.id))
                .where(
                    ForumTopic.board_id.in_(ids),
                    ForumTopic.approved.is_(True),
                    ForumTopic.deleted_at.is_(None),
                )
                .group_by(ForumTopic.board_id)
            ).all()
        )
        if ids
        else {}
    )
    unread_counts = svc.unread_counts_by_board(current_user, ids)
    moderator = svc.can_moderate(current_user, association)
    pending = flags = 0
    if moderator:
        pending = db.session.scalar(
            select(func.count(ForumPost.id))
            .join(ForumTopic, ForumTopic.id == ForumPost.topic_id)
            .where(ForumTopic.association_id == association.id, svc.awaiting_moderation())
        )
        flags = db.session.scalar(
            select(func.count(ForumFlag.id))
            .join(ForumPost, ForumPost.id == ForumFlag.post_id)
            .join(ForumTopic, ForumTopic.id == ForumPost.topic_id)
            .where(ForumTopic.association_id == association.id, ForumFlag.status == "open")
        )
    return render_template(
        "forum/association.html",
        association=association,
        boards=boards,
        counts=counts,
        unread_counts=unread_counts,
        moderator=moderator,
        pending=pending,
        flags=flags,
        active_tab="forum.association",
    )


# --- boards ---------------------------------------------------------------------------


def _fill_board(board: ForumBoard, form: BoardForm) -> None:
    board.name = form.name.data.strip()
    board.description = (form.description.data or "").strip()
    board.visibility = form.visibility.data
    board.premoderate = form.premoderate.data
    board.moderate_first_posts = form.moderate_first_posts.data or 0
    board.allow_anonymous = form.allow_anonymous.data
    board.officials = form.officials.data


@bp.route("/a/<slug>/boards/new", methods=["GET", "POST"])
def new_board(slug: str):
    association = association_for(P, slug)
    permissions.require("forum.manage_boards", association)
    form = BoardForm()
    if form.validate_on_submit():
        top = db.session.scalar(
            select(func.max(ForumBoard.position)).where(ForumBoard.association_id == association.id)
        )
        board = ForumBoard(association_id=association.id, position=(top or 0) + 1)
        _fill_board(board, form)
        db.session.add(board)
        db.session.flush()
        svc.log(association.id, current_user, "board.create", board_id=board.id, details=board.name)
        db.session.commit()
        flash(_("Board created."), "success")
        return redirect(url_for("forum.board", board_id=board.id))
    return render_template(
        "forum/board_form.html",
        association=association,
        form=form,
        board=None,
        active_tab="forum.association",
    )


@bp.route("/b/<id:board_id>/edit", methods=["GET", "POST"])
def edit_board(board_id: int):
    board = _board_or_404(board_id)
    permissions.require("forum.manage_boards", board.association)
    form = BoardForm(obj=board)
    if form.validate_on_submit():
        _fill_board(board, form)
        svc.log(board.association_id, current_user, "board.edit", board_id=board.id)
        db.session.commit()
        flash(_("Board saved."), "success")
        return redirect(url_for("forum.board", board_id=board.id))
    return render_template(
        "forum/board_form.html",
        association=board.association,
        form=form,
        board=board,
        active_tab="forum.association",
    )


@bp.post("/b/<id:board_id>/order")
def order_board(board_id: int):
    board = _board_or_404(board_id)
    permissions.require("forum.manage_boards", board.association)
    boards = list(
        db.session.scalars(
            select(ForumBoard)
            .where(ForumBoard.association_id == board.association_id)
            .order_by(ForumBoard.position, ForumBoard.id)
        )
    )
    i = boards.index(board)
    j = i - 1 if request.form.get("direction") == "up" else i + 1
    if 0 <= j < len(boards):
        boards[i], boards[j] = boards[j], boards[i]
    for pos, b in enumerate(boards, start=1):
        b.position = pos
    svc.log(board.association_id, current_user, "board.order", board_id=board.id)
    db.session.commit()
    return redirect(url_for("forum.association", slug=board.association.slug))


@bp.get("/b/<id:board_id>")
def board(board_id: int):
    board = _board_or_404(board_id)
    page = _page()
    moderator = svc.moderates_board(current_user, board)
    stmt = (
        select(ForumTopic)
        .where(
            ForumTopic.board_id == board.id,
            svc.topic_visible_filter(current_user, moderator=moderator),
        )
        .order_by(ForumTopic.pinned.desc(), ForumTopic.last_post_at.desc(), ForumTopic.id.desc())
    )
    topics, page, pages, read = _topic_list(stmt, page)
    return render_template(
        "forum/board.html",
        association=board.association,
        board=board,
        topics=topics,
        page=page,
        pages=pages,
        read=read,
        moderator=moderator,
        can_post=svc.can_post_board(current_user, board),
        level=svc.watch_level(current_user, board_id=board.id),
        active_tab="forum.association",
    )


@bp.get("/b/<id:board_id>/atom.xml")
def board_atom(board_id: int):
    board = db.session.get(ForumBoard, board_id)
    if board is None or not board.is_public:
        abort(404)
    plugin_gate.abort_unless_enabled(P, board.association)
    rows = db.session.execute(
        select(ForumTopic, ForumPost)
        .join(ForumPost, and_(ForumPost.topic_id == ForumTopic.id, ForumPost.number == 1))
        .where(
            ForumTopic.board_id == board.id,
            ForumTopic.approved.is_(True),
            ForumTopic.deleted_at.is_(None),
            ForumPost.hidden.is_(False),
            ForumPost.deleted_at.is_(None),
        )
        .options(selectinload(ForumTopic.author))
        .order_by(ForumTopic.created_at.desc())
        .limit(30)
    ).all()
    body = render_template("forum/atom.xml", board=board, rows=rows, now=utcnow())
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}


@bp.post("/b/<id:board_id>/watch")
@login_required
def watch_board(board_id: int):
    board = _board_or_404(board_id)
    level = request.form.get("level", "normal")
    if level not in ("muted", "normal", "watching"):
        abort(400)
    svc.set_watch(current_user, level, board_id=board.id)
    db.session.commit()
    flash(_("Notification level saved."), "success")
    return redirect(url_for("forum.board", board_id=board.id))


# --- writing --------------------------------------------------------------------------


def _save_files(form) -> list[uploads.StoredFile] | None:
    """Store the uploaded files, or put the error on the field and store nothing."""
    files = [f for f in (form.attachments.data or []) if f and f.filename]
    stored: list[uploads.StoredFile] = []
    if len(files) > 5:
        form.attachments.errors = [_("Attach at most %(n)s files.", n=5)]
        return None
    for f in files:
        try:
            stored.append(uploads.save(f, subdir="forum"))
        except uploads.UploadError as exc:
            for s in stored:
                uploads.delete(s.path)
            form.attachments.errors = [f"{f.filename}: {exc}"]
            return None
    return stored


def _attach(post: ForumPost, stored: list[uploads.StoredFile]) -> None:
    for s in stored:
        db.session.add(
            ForumAttachment(
                post=post,
                path=s.path,
                original_name=s.original_name,
                kind=s.kind,
                mime=s.mime,
                size=s.size,
            )
        )


@bp.route("/b/<id:board_id>/new", methods=["GET", "POST"])
def new_topic(board_id: int):
    board = _board_or_404(board_id)
    permissions.require("forum.post", board)
    form = TopicForm()
    if not board.allow_anonymous:
        del form.anonymous
    if not board.officials:
        del form.addressed_to
    if form.validate_on_submit():
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
            db.session.add(topic)
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
            svc.mark_read(current_user, topic, 1)
            if pending:
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
    )


def _post_form(board: ForumBoard) -> PostForm:
    form = PostForm()
    if not board.allow_anonymous:
        del form.anonymous
    return form


def _quote(post: ForumPost, moderator: bool) -> str:
    who = svc.author_label(None, post, False)["name"]
    lines = (post.body or "").strip().splitlines() or [""]
    link = url_for("forum.permalink", post_id=post.id)
    wrote = _("wrote")
    return f"> **{who}** [{wrote}]({link}):\n" + "\n".join(f"> {x}" for x in lines) + "\n\n"


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
    if form.validate_on_submit():
        stored = _save_files(form)
        if stored is not None:
            pending = svc.needs_approval(current_user, board)
            anonymous = bool(board.allow_anonymous and form.anonymous.data)
            post = svc.add_post(
                topic, current_user, form.body.data, anonymous=anonymous, approved=not pending
            )
            _attach(post, stored)
            db.session.flush()
            if svc.watch_level(current_user, topic_id=topic.id) == "normal":
                svc.set_watch(current_user, "watching", topic_id=topic.id)
            svc.mark_read(current_user, topic, post.number)
            if pending:
                flash(_("Your message waits for a moderator's approval."), "success")
            else:
                svc.notify_new_post(post, current_user)
            db.session.commit()
            return redirect(url_for("forum.permalink", post_id=post.id))
    return render_template(
        "forum/reply.html",
        association=board.association,
        board=board,
        topic=topic,
        form=form,
        active_tab="forum.association",
    )


# --- topic page -----------------------------------------------------------------------


@bp.get("/t/<id:topic_id>")
def topic(topic_id: int):
    topic, moderator = _topic_or_404(topic_id)
    board = topic.board
    page = _page()
    visible = svc.post_filter(current_user, moderator)
    total = db.session.scalar(
        select(func.count(ForumPost.id)).where(ForumPost.topic_id == topic.id, visible)
    )
    pages = page_count(total, svc.POSTS_PER_PAGE)
    page = clamp_page(page, total, svc.POSTS_PER_PAGE)
    posts = db.session.scalars(
        select(ForumPost)
        .where(ForumPost.topic_id == topic.id, visible)
        .options(selectinload(ForumPost.author), selectinload(ForumPost.attachments))
        .order_by(ForumPost.number)
        .limit(svc.POSTS_PER_PAGE)
        .offset((page - 1) * svc.POSTS_PER_PAGE)
    ).all()
    ids = [p.id for p in posts]
    special_ids = {i for i in (topic.accepted_post_id, topic.official_post_id) if i}
    special = (
        {
            p.id: p
            for p in db.session.scalars(
                select(ForumPost)
                .where(ForumPost.id.in_(special_ids), ForumPost.deleted_at.is_(None))
                .options(selectinload(ForumPost.author))
            )
        }
        if special_ids
        else {}
    )
    reactions: dict[tuple[int, str], int] = {}
    mine: set[tuple[int, str]] = set()
    if ids:
        for pid, kind, n in db.session.execute(
            select(ForumReaction.post_id, ForumReaction.kind, func.count())
            .where(ForumReaction.post_id.in_(ids))
            .group_by(ForumReaction.post_id, ForumReaction.kind)
        ):
            reactions[(pid, kind)] = n
        if current_user.is_authenticated:
            mine = set(
                db.session.execute(
                    select(ForumReaction.post_id, ForumReaction.kind).where(
                        ForumReaction.post_id.in_(ids), ForumReaction.user_id == current_user.id
                    )
                ).all()
            )
    poll = _poll_view(topic)
    shown = [p for p in posts if svc.show_body(current_user, p, moderator)]
    targets = svc.mention_targets(
        [p.body for p in shown] + [p.body for p in special.values()], topic.association_id
    )
    move_form = None
    if moderator:
        move_form = MoveForm()
        move_form.board_id.choices = [
            (b.id, b.name)
            for b in db.session.scalars(
                select(ForumBoard)
                .where(ForumBoard.association_id == topic.association_id)
                .order_by(ForumBoard.position)
            )
        ]
        move_form.board_id.data = topic.board_id
    can_reply = svc.can_reply(current_user, topic)
    html = render_template(
        "forum/topic.html",
        association=board.association,
        board=board,
        topic=topic,
        posts=posts,
        page=page,
        pages=pages,
        moderator=moderator,
        special=special,
        reactions=reactions,
        mine=mine,
        poll=poll,
        reply_form=_post_form(board) if can_reply else None,
        can_reply=can_reply,
        can_accept=svc.can_accept(current_user, topic),
        level=svc.watch_level(current_user, topic_id=topic.id)
        if current_user.is_authenticated
        else None,
        move_form=move_form,
        official_form=OfficialForm(status=topic.official_status) if moderator else None,
        label=lambda p: svc.author_label(current_user, p, moderator),
        body=lambda p: svc.link_mentions(markdown.render(p.body), targets),
        pending_body=lambda p: svc.link_mentions(markdown.render(p.pending_body or ""), targets),
        show_body=lambda p: svc.show_body(current_user, p, moderator),
        can_edit=lambda p: svc.can_edit_post(current_user, p),
        REACTIONS=REACTIONS,
        active_tab="forum.association",
    )
    # Read tracking is written after rendering: a commit expires the loaded rows.
    if posts and current_user.is_authenticated:
        svc.mark_read(current_user, topic, max(p.number for p in posts))
        db.session.commit()
    return html


def _poll_view(topic: ForumTopic) -> dict | None:
    poll = db.session.scalar(
        select(ForumPoll)
        .where(ForumPoll.topic_id == topic.id)
        .options(selectinload(ForumPoll.options))
    )
    if poll is None:
        return None
    counts = dict(
        db.session.execute(
            select(ForumPollVote.option_id, func.count())
            .where(ForumPollVote.poll_id == poll.id)
            .group_by(ForumPollVote.option_id)
        ).all()
    )
    voted: set[int] = set()
    if current_user.is_authenticated:
        voted = set(
            db.session.scalars(
                select(ForumPollVote.option_id).where(
                    ForumPollVote.poll_id == poll.id, ForumPollVote.user_id == current_user.id
                )
            )
        )
    voters = db.session.scalar(
        select(func.count(func.distinct(ForumPollVote.user_id))).where(
            ForumPollVote.poll_id == poll.id
        )
    )
    closed = poll.closed(utcnow())
    return {
        "poll": poll,
        "counts": counts,
        "voted": voted,
        "voters": voters or 0,
        "closed": closed,
        "show_results": closed or bool(voted),
        "total": sum(counts.values()) or 0,
    }


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


def _post_url(post: ForumPost, moderator: bool) -> str:
    page = svc.page_of_number(current_user, post.topic, post.number, moderator)
    args = {"page": page} if page > 1 else {}
    return url_for("forum.topic", topic_id=post.topic_id, **args) + f"#p{post.id}"


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


# --- post actions ---------------------------------------------------------------------


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
    post.deleted_at = None
    post.deleted_by_id = None
    if post.number == 1:
        post.topic.deleted_at = None
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


# --- moderation -----------------------------------------------------------------------


@bp.post("/t/<id:topic_id>/mod/<action>")
@login_required
def topic_mod(topic_id: int, action: str):
    topic, moderator = _topic_or_404(topic_id)
    permissions.require("forum.moderate", topic)
    if action == "pin":
        topic.pinned = True
    elif action == "unpin":
        topic.pinned = False
    elif action == "lock":
        topic.locked = True
    elif action == "unlock":
        topic.locked = False
    elif action == "delete":
        topic.deleted_at = utcnow()
    elif action == "restore":
        topic.deleted_at = None
    else:
        abort(404)
    svc.log(
        topic.association_id,
        current_user,
        f"topic.{action}",
        board_id=topic.board_id,
        topic_id=topic.id,
        details=topic.title,
    )
    db.session.commit()
    flash(_("Done."), "success")
    return redirect(url_for("forum.topic", topic_id=topic.id))


@bp.post("/t/<id:topic_id>/move")
@login_required
def move_topic(topic_id: int):
    topic, _mod = _topic_or_404(topic_id)
    permissions.require("forum.moderate", topic)
    form = MoveForm()
    boards = {
        b.id: b
        for b in db.session.scalars(
            select(ForumBoard).where(ForumBoard.association_id == topic.association_id)
        )
    }
    form.board_id.choices = [(b.id, b.name) for b in boards.values()]
    if not form.validate_on_submit():
        abort(400)
    target = boards[form.board_id.data]
    if target.id != topic.board_id:
        svc.log(
            topic.association_id,
            current_user,
            "topic.move",
            board_id=target.id,
            topic_id=topic.id,
            details=f"{topic.board.name} → {target.name}",
        )
        topic.board_id = target.id
        db.session.commit()
        flash(_("Topic moved."), "success")
    return redirect(url_for("forum.topic", topic_id=topic.id))


@bp.post("/t/<id:topic_id>/official")
@login_required
def official(topic_id: int):
    topic, _mod = _topic_or_404(topic_id)
    permissions.require("forum.moderate", topic)
    form = OfficialForm()
    if not topic.addressed_to or not form.validate_on_submit():
        abort(400)
    topic.official_status = form.status.data
    svc.log(topic.association_id, current_user, f"official.{form.status.data}", topic_id=topic.id)
    db.session.commit()
    return redirect(url_for("forum.topic", topic_id=topic.id))


@bp.post("/p/<id:post_id>/mod/<action>")
@login_required
def post_mod(post_id: int, action: str):
    post, _mod = _post_or_404(post_id)
    permissions.require("forum.moderate", post)
    topic = post.topic
    if action == "hide":
        post.hidden = True
    elif action == "unhide":
        post.hidden = False
    elif action == "approve" and post.approved and post.edit_pending:
        svc.apply_pending_edit(post, utcnow())
        if post.author:
            notifications.notify(
                post.author,
                "forum.moderation",
                _l("Your edit in %(title)s was approved", title=topic.title),
                "",
                url_for("forum.permalink", post_id=post.id),
                topic.association_id,
            )
    elif action == "reject" and post.approved and post.edit_pending:
        # The log keeps the refused text; the post stays as it was approved.
        rejected = post.pending_body or ""
        svc.drop_pending_edit(post)
        if post.author:
            notifications.notify(
                post.author,
                "forum.moderation",
                _l("Your edit in %(title)s was not approved", title=topic.title),
                "",
                url_for("forum.permalink", post_id=post.id),
                topic.association_id,
            )
        svc.log(
            topic.association_id,
            current_user,
            "post.reject_edit",
            board_id=topic.board_id,
            topic_id=topic.id,
            post_id=post.id,
            details=rejected,
        )
        db.session.commit()
        flash(_("Done."), "success")
        return redirect(_back(url_for("forum.permalink", post_id=post.id)))
    elif action == "approve":
        if post.approved:
            return redirect(url_for("forum.permalink", post_id=post.id))
        post.approved = True
        if post.number == 1:
            topic.approved = True
        svc.bump(topic, post)
        db.session.flush()
        if post.author:
            svc.notify_new_post(post, post.author)
            notifications.notify(
                post.author,
                "forum.moderation",
                _l("Your message in %(title)s was approved", title=topic.title),
                "",
                url_for("forum.permalink", post_id=post.id),
                topic.association_id,
            )
    elif action == "reject":
        if post.approved:
            abort(400)
        post.deleted_at = utcnow()
        post.deleted_by_id = current_user.id
        if post.number == 1:
            topic.deleted_at = utcnow()
        if post.author:
            notifications.notify(
                post.author,
                "forum.moderation",
                _l("Your message in %(title)s was not approved", title=topic.title),
                "",
                "",
                topic.association_id,
            )
    elif action == "official_answer":
        if not topic.addressed_to or post.number == 1:
            abort(400)
        topic.official_post_id = post.id
        topic.official_status = "answered"
    else:
        abort(404)
    svc.log(
        topic.association_id,
        current_user,
        f"post.{action}",
        board_id=topic.board_id,
        topic_id=topic.id,
        post_id=post.id,
    )
    db.session.commit()
    flash(_("Done."), "success")
    if request.form.get("next"):
        return redirect(_back(url_for("forum.permalink", post_id=post.id)))
    return redirect(url_for("forum.permalink", post_id=post.id))


@bp.get("/a/<slug>/queue")
@login_required
def queue(slug: str):
    association = association_for(P, slug)
    permissions.require("forum.moderate", association)
    posts = db.session.scalars(
        select(ForumPost)
        .join(ForumTopic, ForumTopic.id == ForumPost.topic_id)
        .where(ForumTopic.association_id == association.id, svc.awaiting_moderation())
        .options(selectinload(ForumPost.author), selectinload(ForumPost.topic))
        .order_by(ForumPost.id)
    ).all()
    return render_template(
        "forum/queue.html",
        association=association,
        posts=posts,
        active_tab="forum.association",
    )


@bp.get("/a/<slug>/flags")
@login_required
def flags(slug: str):
    association = association_for(P, slug)
    permissions.require("forum.moderate", association)
    rows = db.session.scalars(
        select(ForumFlag)
        .join(ForumPost, ForumPost.id == ForumFlag.post_id)
        .join(ForumTopic, ForumTopic.id == ForumPost.topic_id)
        .where(ForumTopic.association_id == association.id, ForumFlag.status == "open")
        .options(
            selectinload(ForumFlag.user),
            selectinload(ForumFlag.post).selectinload(ForumPost.author),
            selectinload(ForumFlag.post).selectinload(ForumPost.topic),
        )
        .order_by(ForumFlag.id)
    ).all()
    return render_template(
        "forum/flags.html",
        association=association,
        flags=rows,
        active_tab="forum.association",
    )


@bp.post("/flags/<id:flag_id>/<decision>")
@login_required
def resolve_flag(flag_id: int, decision: str):
    row = db.session.get(ForumFlag, flag_id)
    if row is None or decision not in ("agree", "disagree"):
        abort(404)
    post, _mod = _post_or_404(row.post_id)
    permissions.require("forum.moderate", post)
    topic = post.topic
    now = utcnow()
    same = db.session.scalars(
        select(ForumFlag).where(ForumFlag.post_id == post.id, ForumFlag.status == "open")
    ).all()
    for f in same:
        f.status = "agreed" if decision == "agree" else "disagreed"
        f.resolved_by_id = current_user.id
        f.resolved_at = now
        title = (
            _l("Your flag was accepted: the post in %(title)s is hidden", title=topic.title)
            if decision == "agree"
            else _l("Your flag on a post in %(title)s was reviewed: no action", title=topic.title)
        )
        notifications.notify(
            f.user,
            "forum.flag_result",
            title,
            "",
            url_for("forum.permalink", post_id=post.id),
            topic.association_id,
        )
    if decision == "agree":
        post.hidden = True
    svc.log(
        topic.association_id,
        current_user,
        f"flag.{decision}",
        topic_id=topic.id,
        post_id=post.id,
        details=row.reason,
    )
    db.session.commit()
    flash(_("Done."), "success")
    return redirect(url_for("forum.flags", slug=topic.board.association.slug))


@bp.route("/b/<id:board_id>/bans", methods=["GET", "POST"])
@login_required
def bans(board_id: int):
    board = _board_or_404(board_id)
    permissions.require("forum.moderate", board)
    form = BanForm()
    if form.validate_on_submit():
        member = db.session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.association_id == board.association_id, User.id == form.user_id.data)
        )
        if member is None:
            form.user_id.errors = [_("Not a member of this association.")]
        else:
            until = utcnow() + dt.timedelta(days=form.days.data)
            db.session.add(
                ForumBan(
                    board_id=board.id,
                    user_id=member.id,
                    until=until,
                    reason=(form.reason.data or "").strip(),
                    created_by_id=current_user.id,
                )
            )
            svc.log(
                board.association_id,
                current_user,
                "board.ban",
                board_id=board.id,
                details=f"{member.full_name}: {form.days.data} d. {form.reason.data or ''}",
            )
            db.session.commit()
            flash(_("Banned from the board until %(until)s.", until=site_date(until)), "success")
            return redirect(url_for("forum.bans", board_id=board.id))
    active = db.session.scalars(
        select(ForumBan)
        .where(ForumBan.board_id == board.id, ForumBan.until > utcnow())
        .options(selectinload(ForumBan.user))
        .order_by(ForumBan.until)
    ).all()
    members = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.association_id == board.association_id)
        .order_by(User.full_name)
    ).all()
    return render_template(
        "forum/bans.html",
        association=board.association,
        board=board,
        form=form,
        bans=active,
        members=members,
        active_tab="forum.association",
    )


@bp.get("/a/<slug>/log")
@login_required
def modlog(slug: str):
    association = association_for(P, slug)
    permissions.require("forum.view_log", association)
    page = _page()
    rows = db.session.scalars(
        select(ForumModLog)
        .where(ForumModLog.association_id == association.id)
        .options(selectinload(ForumModLog.actor))
        .order_by(ForumModLog.id.desc())
        .limit(50)
        .offset((page - 1) * 50)
    ).all()
    return render_template(
        "forum/modlog.html",
        association=association,
        rows=rows,
        page=page,
        active_tab="forum.association",
    )


@bp.get("/a/<slug>/addressed")
def addressed(slug: str):
    association = association_for(P, slug)
    status = request.args.get("status", "open")
    stmt = (
        select(ForumTopic)
        .join(ForumBoard, ForumBoard.id == ForumTopic.board_id)
        .where(
            ForumTopic.association_id == association.id,
            ForumTopic.addressed_to != "",
            svc.readable_board_filter(current_user),
            ForumTopic.approved.is_(True),
            ForumTopic.deleted_at.is_(None),
        )
        .order_by(ForumTopic.created_at.desc())
    )
    if status in ("open", "answered", "closed"):
        stmt = stmt.where(ForumTopic.official_status == status)
    topics, page, pages, read = _topic_list(stmt, _page())
    return render_template(
        "forum/addressed.html",
        association=association,
        topics=topics,
        status=status,
        page=page,
        pages=pages,
        read=read,
        active_tab="forum.association",
    )


# --- attachments ----------------------------------------------------------------------


@bp.get("/att/<id:att_id>")
def attachment(att_id: int):
    att = db.session.get(ForumAttachment, att_id)
    if att is None:
        abort(404)
    post, moderator = _post_or_404(att.post_id)
    if not svc.show_body(current_user, post, moderator):
        abort(404)
    return uploads.serve(
        att.path,
        download_name=att.original_name,
        mime=att.mime,
        inline=request.args.get("inline") == "1",
    )


# --- search and preferences -------------------------------------------------------------


def _day_arg(name: str) -> dt.datetime | None:
    """A ``YYYY-MM-DD`` query argument as midnight of that day, else None. Any year up to
    9998 is a fair search bound (the day after it, for ``until``, must still exist)."""
    day = date_arg(name, lo=dt.date(1, 1, 1), hi=dt.date(9998, 12, 31))
    return dt.datetime.combine(day, dt.time()) if day else None


@bp.get("/search")
def search():
    form = SearchForm(request.args)
    associations = db.session.scalars(
        select(Association)
        .join(ForumBoard, ForumBoard.association_id == Association.id)
        .where(svc.readable_board_filter(current_user))
        .distinct()
        .order_by(Association.name_kk)
    ).all()
    form.association.choices = [("", _("All"))] + [(a.slug, a.name) for a in associations]
    results = []
    query = (form.q.data or "").strip()
    page = _page()
    if query and form.validate():
        assoc = next((a for a in associations if a.slug == form.association.data), None)
        until = _day_arg("until")
        results = svc.search_posts(
            current_user,
            query,
            association_id=assoc.id if assoc else None,
            board_id=int_arg("board"),
            author_id=int_arg("author"),
            since=_day_arg("since"),
            until=until + dt.timedelta(days=1) if until else None,
            limit=20,
            offset=(page - 1) * 20,
        )
    terms = svc.query_terms(query)
    return render_template(
        "forum/search.html",
        form=form,
        results=results,
        query=query,
        page=page,
        more=len(results) == 20,
        snippet=lambda p: svc.highlight(p.body, terms),
        title=lambda p: svc.highlight(p.topic.title, terms, width=200),
        label=lambda p: svc.author_label(current_user, p, False),
    )


@bp.post("/digest")
@login_required
def digest_pref():
    prefs = db.session.get(ForumPrefs, current_user.id)
    if prefs is None:
        prefs = ForumPrefs(user_id=current_user.id)
        db.session.add(prefs)
    prefs.digest = request.form.get("digest") == "1"
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("forum.latest"))
