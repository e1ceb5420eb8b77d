"""Moderation: topic and post actions, moving, official answers, the queue, flags, bans and the
moderation log.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.api import (
    Association,
    Membership,
    User,
    association_for,
    db,
    int_arg,
    notifications,
    parse_id,
    permissions,
    site_date,
    utcnow,
)
from plugins.forum import counters, post_moderation, queries, topic_moves
from plugins.forum import services as svc
from plugins.forum.forms import (
    BanForm,
    MergeForm,
    MoveForm,
    OfficialAccountForm,
    OfficialForm,
    SplitForm,
)
from plugins.forum.models import (
    ForumBan,
    ForumBoard,
    ForumFlag,
    ForumModLog,
    ForumOfficial,
    ForumPost,
    ForumTopic,
)
from plugins.forum.views.common import (
    P,
    _back,
    _board_or_404,
    _page,
    _post_or_404,
    _topic_or_404,
    bp,
)


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
    elif action == "hide":
        topic.hidden = True
    elif action == "unhide":
        topic.hidden = False
    else:
        abort(404)
    if action in ("delete", "restore", "hide", "unhide"):
        counters.refresh_board(topic.board_id)
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
        old_board = topic.board_id
        topic.board_id = target.id
        counters.refresh(topic, old_board)
        db.session.commit()
        flash(_("Topic moved."), "success")
    return redirect(url_for("forum.topic", topic_id=topic.id))


_TOPIC_IN_URL = re.compile(r"/t/(\d+)")


def _topic_ref(raw: str | None) -> ForumTopic | None:
    """A topic named by its number (``42``) or its address (``…/forum/t/42?page=2#p7``)."""
    raw = (raw or "").strip()
    found = _TOPIC_IN_URL.search(raw)
    topic_id = parse_id(found.group(1) if found else raw.lstrip("#"))
    topic = db.session.get(ForumTopic, topic_id) if topic_id else None
    if topic is None or topic.merged_into_id or topic.deleted_at is not None:
        return None
    return topic


def _move_error(code: str) -> str:
    return {
        "choose": _("Choose the messages to move (the boxes beside them)."),
        "opening": _(
            "The opening message cannot be moved on its own: merge the whole topic instead."
        ),
        "same": _("Choose another topic than this one."),
        "association": _("The topic must be in the same association's forum."),
        "target": _("No such topic: give its number or its address."),
        "title": _("Give the new topic a title."),
        "polls": _(
            "Both topics have a poll; a topic can have only one, so these two cannot be merged. "
            "Nothing was changed."
        ),
    }[code]


#: Posts listed per page of the split page (by number, from ``?from=``).
SPLIT_PAGE = 50


def _split_page(topic: ForumTopic, form: SplitForm, merge_form: MergeForm, chosen: set[int]):
    """The split and merge page: the topic's posts with boxes (50 at a time, from the first
    chosen one), the two forms, errors kept."""
    start = int_arg("from", lo=0) or 0
    if not start and chosen:
        first = db.session.scalar(
            select(func.min(ForumPost.number)).where(
                ForumPost.topic_id == topic.id, ForumPost.id.in_(chosen)
            )
        )
        start = max(0, (first or 1) - 1)
    posts = db.session.scalars(
        select(ForumPost)
        .where(ForumPost.topic_id == topic.id, ForumPost.number > start)
        .options(selectinload(ForumPost.author))
        .order_by(ForumPost.number)
        .limit(SPLIT_PAGE + 1)
    ).all()
    more = posts[SPLIT_PAGE - 1].number if len(posts) > SPLIT_PAGE else None
    posts = posts[:SPLIT_PAGE]
    return render_template(
        "forum/split.html",
        association=topic.board.association,
        board=topic.board,
        topic=topic,
        posts=posts,
        form=form,
        merge_form=merge_form,
        chosen=chosen,
        start=start,
        more=more,
        label=lambda p: svc.author_label(current_user, p, True),
        plain=svc.plain_text,
        active_tab="forum.association",
    )


def _split_forms(topic: ForumTopic) -> tuple[SplitForm, MergeForm]:
    form = SplitForm()
    form.board_id.choices = queries.board_choices(topic.association_id)
    if form.board_id.data is None:
        form.board_id.data = topic.board_id
    return form, MergeForm()


@bp.route("/t/<id:topic_id>/split", methods=["GET", "POST"])
@login_required
def split_topic(topic_id: int):
    """Moderators move chosen posts to a new or an existing topic (checkboxes, no script
    needed: on the topic page too, with the ``form`` attribute)."""
    topic, _mod = _topic_or_404(topic_id)
    permissions.require("forum.moderate", topic)
    form, merge_form = _split_forms(topic)
    source = request.form if request.method == "POST" else request.args
    chosen = {i for i in (parse_id(v) for v in source.getlist("post")) if i}
    if request.method == "POST" and form.validate_on_submit():
        error = None
        target = None
        title = (form.title.data or "").strip()
        board_ids = {b for b, _name in form.board_id.choices}
        if not chosen:
            error = "choose"
        elif form.destination.data == "existing":
            target = _topic_ref(form.target.data)
            if target is None:
                error = "target"
        elif not title:
            error = "title"
        elif form.board_id.data not in board_ids:
            abort(400)
        if error is None:
            try:
                new = topic_moves.split_posts(
                    topic,
                    sorted(chosen),
                    current_user,
                    target=target,
                    title=title,
                    board_id=form.board_id.data,
                )
            except topic_moves.MoveError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                flash(
                    ngettext("%(num)s message moved.", "%(num)s messages moved.", len(chosen)),
                    "success",
                )
                return redirect(url_for("forum.topic", topic_id=new.id))
        flash(_move_error(error), "error")
        return _split_page(topic, form, merge_form, chosen), 400
    if request.method == "POST":
        return _split_page(topic, form, merge_form, chosen), 400
    return _split_page(topic, form, merge_form, chosen)


@bp.post("/t/<id:topic_id>/merge")
@login_required
def merge_topic(topic_id: int):
    topic, _mod = _topic_or_404(topic_id)
    permissions.require("forum.moderate", topic)
    form, merge_form = _split_forms(topic)
    if merge_form.validate_on_submit():
        target = _topic_ref(merge_form.merge_target.data)
        error = "target" if target is None else None
        if target is not None:
            try:
                topic_moves.merge_topic(topic, target, current_user)
            except topic_moves.MoveError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                flash(_("The topic was merged."), "success")
                return redirect(url_for("forum.topic", topic_id=target.id))
        merge_form.merge_target.errors = [_move_error(error)]
    return _split_page(topic, form, merge_form, set()), 400


@bp.post("/t/<id:topic_id>/official")
@login_required
def official(topic_id: int):
    topic, moderator = _topic_or_404(topic_id)
    if not (moderator or svc.is_addressee(current_user, topic)):
        abort(403)
    form = OfficialForm()
    if not topic.addressed_to or not form.validate_on_submit():
        abort(400)
    changed = topic.official_status != form.status.data
    topic.official_status = form.status.data
    svc.log(topic.association_id, current_user, f"official.{form.status.data}", topic_id=topic.id)
    if changed:
        svc.tell_asker(topic, current_user)
    db.session.commit()
    return redirect(url_for("forum.topic", topic_id=topic.id))


@bp.post("/p/<id:post_id>/mod/<action>")
@login_required
def post_mod(post_id: int, action: str):
    post, _mod = _post_or_404(post_id)
    permissions.require("forum.moderate", post)
    back = url_for("forum.permalink", post_id=post.id)
    already = action == "approve" and post.approved and not post.edit_pending
    try:
        post_moderation.moderate_post(post, action, current_user, utcnow())
    except post_moderation.ModerationError as exc:
        db.session.rollback()
        if already:  # approving twice (two moderators at once) is not an error
            return redirect(back)
        abort(exc.status)
    db.session.commit()
    flash(_("Done."), "success")
    if request.form.get("next"):
        return redirect(_back(back))
    return redirect(back)


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
        counters.refresh(topic)
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


@bp.post("/bans/<id:ban_id>/lift")
@login_required
def lift_ban(ban_id: int):
    """End a ban before it expires; the row stays as a record, the lifting is logged."""
    ban = db.session.get(ForumBan, ban_id)
    if ban is None:
        abort(404)
    board = _board_or_404(ban.board_id)
    permissions.require("forum.moderate", board)
    now = utcnow()  # CSRF is checked for every POST by the core
    if ban.until > now:
        ban.until = now
        svc.log(
            board.association_id,
            current_user,
            "board.unban",
            board_id=board.id,
            details=ban.user.full_name,
        )
        db.session.commit()
        flash(_("%(name)s may post on the board again.", name=ban.user.full_name), "success")
    return redirect(url_for("forum.bans", board_id=board.id))


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
        log_label=svc.log_label,
        active_tab="forum.association",
    )


@bp.route("/a/<slug>/officials", methods=["GET", "POST"])
@login_required
def officials(slug: str):
    """The accounts questions may be addressed to, kept by the association's managers."""
    association = association_for(P, slug)
    permissions.require("forum.manage_boards", association)
    form = OfficialAccountForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(
            select(User).where(db.func.lower(User.email) == email, User.active.is_(True))
        )
        if user is None:
            form.email.errors = [_("No active account has this email.")]
        elif db.session.scalar(
            select(ForumOfficial.id).where(
                ForumOfficial.association_id == association.id, ForumOfficial.user_id == user.id
            )
        ):
            form.email.errors = [_("This account is already in the list.")]
        else:
            title = form.title.data.strip()
            db.session.add(
                ForumOfficial(association_id=association.id, user_id=user.id, title=title)
            )
            svc.log(
                association.id,
                current_user,
                "official.add",
                details=f"{title}: {user.full_name}",
            )
            db.session.commit()
            flash(_("Added to the list of officials."), "success")
            return redirect(url_for("forum.officials", slug=association.slug))
    rows = db.session.scalars(
        select(ForumOfficial)
        .where(ForumOfficial.association_id == association.id)
        .options(selectinload(ForumOfficial.user))
        .order_by(ForumOfficial.title)
    ).all()
    return render_template(
        "forum/officials.html",
        association=association,
        form=form,
        rows=rows,
        active_tab="forum.association",
    ), (400 if form.errors else 200)


@bp.post("/officials/<id:official_id>/remove")
@login_required
def remove_official(official_id: int):
    row = db.session.get(ForumOfficial, official_id)
    if row is None:
        abort(404)
    assoc = association_for(P, db.session.get(Association, row.association_id).slug)
    permissions.require("forum.manage_boards", assoc)
    svc.log(
        assoc.id,
        current_user,
        "official.remove",
        details=f"{row.title}: {row.user.full_name}",
    )
    db.session.delete(row)
    db.session.commit()
    flash(_("Removed from the list of officials."), "success")
    return redirect(url_for("forum.officials", slug=assoc.slug))
