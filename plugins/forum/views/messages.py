"""Private messages: the inbox, a conversation, writing, blocking and reports."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.api import (
    User,
    db,
    paginate,
    parse_id,
    require,
    sort_by,
    utcnow,
)
from plugins.forum import messaging as msvc
from plugins.forum.forms import FlagForm
from plugins.forum.message_forms import ComposeForm, ReplyForm
from plugins.forum.message_models import ForumConversation, ForumMessage, ForumMessageReport
from plugins.forum.views.common import _page, bp


def _locale() -> str:
    return str(get_locale() or "kk")


def _conversation_or_404(conversation_id: int):
    """The conversation and the reader's place in it; 404 for everyone else (an outsider
    is not even told it exists)."""
    conv = db.session.get(ForumConversation, conversation_id)
    member = msvc.participation(current_user, conversation_id) if conv else None
    if conv is None or member is None:
        abort(404)
    require("forum.read_conversation", conv)
    return conv, member


def _chosen_people() -> list[User]:
    """The people ticked (``to``) in the form or given in the link, each at most once."""
    raw = request.form.getlist("to") if request.method == "POST" else request.args.getlist("to")
    ids: list[int] = []
    for value in raw[:50]:
        uid = parse_id(value)
        if uid is not None and uid not in ids and uid != current_user.id:
            ids.append(uid)
    people = [db.session.get(User, uid) for uid in ids]
    return [p for p in people if p is not None and p.active]


@bp.get("/messages")
@login_required
def messages():
    require("forum.send_message", None)
    result = paginate(
        msvc.inbox_stmt(current_user),
        _page(),
        msvc.CONVERSATIONS_PER_PAGE,
        options=msvc.INBOX_OPTIONS,
    )
    unread = msvc.unread_counts(current_user, [c.id for c in result.items])
    return render_template(
        "forum/messages/inbox.html",
        conversations=result.items,
        page=result.page,
        pages=result.pages,
        unread_by=unread,
        reports=msvc.open_report_count(current_user),
    )


@bp.route("/messages/new", methods=["GET", "POST"])
@login_required
def new_message():
    require("forum.send_message", None)
    form = ComposeForm()
    chosen = _chosen_people()
    to_errors: list[str] = []
    found: list[User] = []
    if request.method == "POST" and form.validate():
        allowed = [p for p in chosen if msvc.may_contact(current_user, p)]
        allowed_ids = {p.id for p in allowed}
        refused = [p for p in chosen if p.id not in allowed_ids]
        if "send" in request.form:
            if refused:
                names = ", ".join(p.full_name for p in refused)
                to_errors.append(_("You cannot write to: %(names)s.", names=names))
            if not chosen:
                to_errors.append(_("Choose at least one person."))
            if len(chosen) > msvc.max_recipients():
                to_errors.append(
                    _("At most %(n)s people in one conversation.", n=msvc.max_recipients())
                )
            subject = (form.subject.data or "").strip()
            body = (form.body.data or "").strip()
            if not subject:
                form.subject.errors = [_("Write a subject.")]
            if not body:
                form.body.errors = [_("Write a message.")]
            if not to_errors and subject and body:
                conv = msvc.start(current_user, allowed, subject, body)
                db.session.commit()
                flash(_("Message sent."), "success")
                return redirect(url_for("forum.conversation", conversation_id=conv.id))
        chosen = allowed + refused
        if form.find.data:
            found = msvc.contacts(current_user, form.find.data, exclude={p.id for p in chosen})
            if not found:
                form.find.errors = [_("Nobody of your associations has this name.")]
    elif request.method == "GET" and chosen:
        chosen = [p for p in chosen if msvc.may_contact(current_user, p)]
    return render_template(
        "forum/messages/new.html",
        form=form,
        chosen=sort_by(chosen, lambda u: u.full_name, _locale()),
        found=sort_by(found, lambda u: u.full_name, _locale()),
        to_errors=to_errors,
        limit=msvc.max_recipients(),
    )


@bp.get("/messages/<id:conversation_id>")
@login_required
def conversation(conversation_id: int):
    conv, member = _conversation_or_404(conversation_id)
    first_unread = member.last_read_id
    items = msvc.messages_of(conv)
    msvc.mark_read(member)
    db.session.commit()
    blocked_by = msvc.others_blocking(conv, current_user)
    return render_template(
        "forum/messages/conversation.html",
        conv=conv,
        items=items,
        first_unread=first_unread,
        people=sort_by([p.user for p in conv.participants], lambda u: u.full_name, _locale()),
        blocked_by=blocked_by,
        blocked_ids={u.id for u in msvc.blocked_people(current_user, _locale())},
        form=ReplyForm(),
    )


@bp.post("/messages/<id:conversation_id>/reply")
@login_required
def reply_message(conversation_id: int):
    conv, member = _conversation_or_404(conversation_id)
    form = ReplyForm()
    blocked_by = msvc.others_blocking(conv, current_user)
    if form.validate() and not blocked_by:
        msg = msvc.add_message(conv, current_user, form.body.data.strip())
        db.session.commit()
        return redirect(url_for("forum.conversation", conversation_id=conv.id) + f"#m{msg.id}")
    if blocked_by:
        form.body.errors = list(form.body.errors) + [
            _(
                "You cannot write here: %(names)s does not accept your messages.",
                names=", ".join(u.full_name for u in blocked_by),
            )
        ]
    items = msvc.messages_of(conv)
    return (
        render_template(
            "forum/messages/conversation.html",
            conv=conv,
            items=items,
            first_unread=member.last_read_id,
            people=sort_by([p.user for p in conv.participants], lambda u: u.full_name, _locale()),
            blocked_by=blocked_by,
            blocked_ids={u.id for u in msvc.blocked_people(current_user, _locale())},
            form=form,
        ),
        400,
    )


def _message_for_report(message_id: int) -> ForumMessage:
    msg = db.session.get(ForumMessage, message_id)
    if msg is None or msvc.participation(current_user, msg.conversation_id) is None:
        abort(404)
    if msg.author_id == current_user.id:
        abort(403)
    return msg


@bp.route("/messages/m/<id:message_id>/report", methods=["GET", "POST"])
@login_required
def report_message(message_id: int):
    msg = _message_for_report(message_id)
    form = FlagForm()
    already = db.session.scalar(
        db.select(ForumMessageReport).where(
            ForumMessageReport.message_id == msg.id,
            ForumMessageReport.reporter_id == current_user.id,
        )
    )
    if already is not None:
        flash(_("You have already reported this message."), "info")
        return redirect(url_for("forum.conversation", conversation_id=msg.conversation_id))
    if form.validate_on_submit():
        msvc.report(msg, current_user, form.reason.data, form.note.data or "")
        db.session.commit()
        flash(_("The moderators were told. Thank you."), "success")
        return redirect(url_for("forum.conversation", conversation_id=msg.conversation_id))
    return render_template("forum/messages/report.html", msg=msg, form=form)


@bp.get("/messages/reports")
@login_required
def message_reports():
    result = paginate(msvc.reports_stmt(current_user), _page(), 20)
    for r in result.items:
        require("forum.review_message_report", r)
    return render_template(
        "forum/messages/reports.html",
        reports=result.items,
        page=result.page,
        pages=result.pages,
        reasons=dict(FlagForm().reason.choices),
    )


@bp.post("/messages/reports/<id:report_id>/resolve")
@login_required
def resolve_message_report(report_id: int):
    row = db.session.get(ForumMessageReport, report_id)
    if row is None:
        abort(404)
    require("forum.review_message_report", row)
    if row.resolved_at is None:
        row.resolved_at = utcnow()
        row.resolved_by_id = current_user.id
        db.session.commit()
    flash(_("Report closed."), "success")
    return redirect(url_for("forum.message_reports"))


@bp.get("/messages/blocked")
@login_required
def blocked():
    return render_template(
        "forum/messages/blocked.html", people=msvc.blocked_people(current_user, _locale())
    )


@bp.post("/messages/block/<id:user_id>")
@login_required
def block_user(user_id: int):
    other = db.session.get(User, user_id)
    if other is None or other.id == current_user.id:
        abort(404)
    msvc.block(current_user, other)
    db.session.commit()
    flash(_("%(name)s can no longer write to you.", name=other.full_name), "success")
    return redirect(url_for("forum.blocked"))


@bp.post("/messages/unblock/<id:user_id>")
@login_required
def unblock_user(user_id: int):
    msvc.unblock(current_user, user_id)
    db.session.commit()
    flash(_("Unblocked."), "success")
    return redirect(url_for("forum.blocked"))
