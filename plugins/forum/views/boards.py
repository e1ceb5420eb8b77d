"""Forum lists and boards: latest and unread topics, an association's boards, a board, its feed;
creating and editing boards.
"""

from __future__ import annotations

import functools

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import lazyload, selectinload

from core.api import (
    PageQuery,
    association_for,
    cached_page,
    db,
    page_query,
    permissions,
    plugin_gate,
    utcnow,
)
from plugins.forum import mailing_list, queries
from plugins.forum import services as svc
from plugins.forum.forms import (
    BoardForm,
)
from plugins.forum.models import (
    ForumBoard,
    ForumFlag,
    ForumPost,
    ForumPrefs,
    ForumReadState,
    ForumTopic,
)
from plugins.forum.views.common import (
    P,
    _board_or_404,
    _fill_board,
    _page,
    _topic_list,
    _topic_list_options,
    bp,
)


@bp.get("/")
def latest():
    page = _page()
    only_unread = request.args.get("filter") == "unread" and current_user.is_authenticated
    stmt = (
        select(ForumTopic)
        .join(ForumBoard, ForumBoard.id == ForumTopic.board_id)
        .where(
            svc.readable_board_filter(current_user),
            svc.live_topic(),
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
    # The boards' own counters (``counters``), not a COUNT over their topics per request.
    counts = {b.id: b.topic_count for b in boards}
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
        boards=[b for b in boards if not b.archived],
        archived=[b for b in boards if b.archived],
        counts=counts,
        unread_counts=unread_counts,
        moderator=moderator,
        pending=pending,
        flags=flags,
        active_tab="forum.association",
    )


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


@bp.post("/b/<id:board_id>/<any(archive, unarchive):action>")
@login_required
def archive_board(board_id: int, action: str):
    """Archive a board (read-only for everyone, listed apart, still searchable) or bring it
    back. CSRF is checked for every POST by the core."""
    board = _board_or_404(board_id)
    permissions.require("forum.manage_boards", board.association)
    archive = action == "archive"
    if board.archived != archive:
        board.archived_at = utcnow() if archive else None
        svc.log(
            board.association_id,
            current_user,
            f"board.{action}",
            board_id=board.id,
            details=board.name,
        )
        db.session.commit()
        flash(_("Board archived.") if archive else _("Board restored from the archive."), "success")
    return redirect(url_for("forum.board", board_id=board.id))


@functools.cache
def _board_topics(moderator: bool, member: bool) -> PageQuery:
    """A board's topic list, built once for each kind of reader (see ``core.api.page_query``:
    building it took half the time of the list on SQLite)."""
    if moderator:
        visible = svc.topic_visible_filter(None, moderator=True)
    else:
        visible = svc.topics_listed_for(bindparam("user_id") if member else None)
    stmt = (
        select(ForumTopic)
        .where(ForumTopic.board_id == bindparam("board_id"), visible)
        .order_by(ForumTopic.pinned.desc(), ForumTopic.last_post_at.desc(), ForumTopic.id.desc())
        # every topic's board is this one, already loaded: not joined again for each row
        .options(lazyload(ForumTopic.board))
    )
    return page_query(stmt, options=_topic_list_options())


@bp.get("/b/<id:board_id>")
@cached_page
def board(board_id: int):
    board = _board_or_404(board_id)
    page = _page()
    moderator = svc.moderates_board(current_user, board)
    member = current_user.is_authenticated
    topics, page, pages, read = _topic_list(
        _board_topics(moderator, member),
        page,
        params={"board_id": board.id, "user_id": current_user.id if member else None},
    )
    viewer = queries.board_viewer(current_user, board)
    return render_template(
        "forum/board.html",
        association=board.association,
        board=board,
        topics=topics,
        page=page,
        pages=pages,
        read=read,
        moderator=moderator,
        # the ban and the subscription came with the viewer's state
        can_post=svc.can_post_board(current_user, board, banned=viewer.banned),
        level=viewer.level,
        may_mail=mailing_list.may_subscribe(current_user, board),
        mailing=viewer.subscribed,
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
            svc.live_topic(),
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
