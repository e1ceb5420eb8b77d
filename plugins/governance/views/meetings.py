"""The governance tab, its rules, and general meetings: convening, attendance, votes."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from core.api import (
    Membership,
    PostForm,
    User,
    db,
    from_local,
    name_contains,
    page_arg,
    paginate,
    permissions,
    require,
    row_choices,
)
from plugins.governance import services as svc
from plugins.governance.forms import (
    AttendanceForm,
    CheckInForm,
    MeetingForm,
    SettingsForm,
    VoteForm,
)
from plugins.governance.models import (
    Election,
    Exclusion,
    GeneralMeeting,
    MeetingAttendance,
    Minutes,
)
from plugins.governance.views.common import (
    ATTENDANCE_CHOICES,
    PRESENT_PER_PAGE,
    _association,
    _back,
    _csrf_or_400,
    _fail,
    _item,
    _meeting,
    bp,
)

# --- the governance tab -----------------------------------------------------------------------


@bp.get("/a/<slug>/")
def index(slug: str):
    association = _association(slug)
    member = permissions.can(current_user, "governance.browse", association)
    meetings = elections = exclusions = []
    if member:
        meetings = list(
            db.session.scalars(
                select(GeneralMeeting)
                .where(GeneralMeeting.association_id == association.id)
                .order_by(GeneralMeeting.starts_at.desc())
                .limit(50)
            )
        )
        elections = list(
            db.session.scalars(
                select(Election)
                .where(Election.association_id == association.id)
                .order_by(Election.created_at.desc())
                .limit(20)
            )
        )
        exclusions = [
            e
            for e in db.session.scalars(
                select(Exclusion)
                .where(Exclusion.association_id == association.id)
                .order_by(Exclusion.proposed_at.desc())
                .limit(20)
            )
            if permissions.can(current_user, "governance.view_exclusion", e)
        ]
    published = [
        m
        for m in db.session.scalars(
            select(Minutes)
            .join(GeneralMeeting, GeneralMeeting.id == Minutes.meeting_id)
            .where(GeneralMeeting.association_id == association.id, Minutes.frozen_at.is_not(None))
            .order_by(GeneralMeeting.starts_at.desc())
            .limit(50)
        )
        if svc.may_read_minutes(current_user, m)
    ]
    petition = svc.open_petition(association) if member else None
    return render_template(
        "governance/index.html",
        association=association,
        offices=svc.current_offices(association),
        meetings=meetings,
        elections=elections,
        exclusions=exclusions,
        published=published,
        petition=petition,
        petition_needed=svc.petition_needed(association) if petition else 0,
        petition_signed=svc.signatures(petition) if petition else 0,
        has_signed=svc.has_signed(petition, current_user) if petition else False,
        manager=permissions.can(current_user, "governance.manage", association),
        settings=svc.settings_for(association),
        svc=svc,
        form=PostForm(),
    )


@bp.route("/a/<slug>/settings", methods=["GET", "POST"])
def settings(slug: str):
    association = _association(slug)
    require("governance.manage", association)
    row = svc.settings_for(association)
    form = SettingsForm(obj=row)
    if form.validate_on_submit():
        form.populate_obj(row)
        db.session.add(row)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("governance.index", slug=slug))
    return render_template(
        "governance/settings.html",
        association=association,
        form=form,
        active_tab="governance.index",
    )


# --- meetings ---------------------------------------------------------------------------------


@bp.route("/a/<slug>/meetings/new", methods=["GET", "POST"])
def new_meeting(slug: str):
    association = _association(slug)
    require("governance.manage", association)
    form = MeetingForm(plan_rows=row_choices(association))
    if request.method == "GET" and request.args.get("kind") == "extraordinary":
        form.kind.data = "extraordinary"
    if form.validate_on_submit():
        items = []
        for entry in form.items:
            f = entry.form
            title = (f.title.data or "").strip()
            if not title:
                continue
            deadline = from_local(f.deadline.data) if f.deadline.data else None
            items.append((title, (f.motion.data or "").strip(), f.ballot.data, deadline))
        meeting = svc.create_meeting(
            association,
            current_user,
            items=items,
            title=form.title.data.strip(),
            kind=form.kind.data,
            mode=form.mode.data,
            starts_at=from_local(form.starts_at.data),
            place=(form.place.data or "").strip(),
            link=(form.link.data or "").strip(),
            plan_row_id=int(form.plan_row.data) if form.plan_row.data else None,
        )
        db.session.commit()
        flash(_("The meeting is convened; members get the notice with the agenda."), "success")
        return redirect(url_for("governance.meeting", slug=slug, meeting_id=meeting.id))
    return render_template(
        "governance/meeting_form.html",
        association=association,
        form=form,
        active_tab="governance.index",
    )


@bp.get("/a/<slug>/meetings/<id:meeting_id>")
def meeting(slug: str, meeting_id: int):
    association, meeting = _meeting(slug, meeting_id)
    manager = permissions.can(current_user, "governance.manage", association)
    attendance_form = None
    unmarked_total = 0
    q = (request.args.get("q") or "").strip()[:100]
    if manager and meeting.state != "closed":
        # the members not marked yet, found by name: a page stays small in a large association
        unmarked = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.association_id == association.id,
                User.id.not_in(
                    select(MeetingAttendance.user_id).where(
                        MeetingAttendance.meeting_id == meeting.id
                    )
                ),
            )
            .order_by(User.full_name)
        )
        if q:
            unmarked = unmarked.where(name_contains(q))
        found = paginate(unmarked, 1, ATTENDANCE_CHOICES)
        unmarked_total = found.total
        attendance_form = AttendanceForm()
        attendance_form.present.choices = [SelectChoice(u.id, u.full_name) for u in found.items]
    present = paginate(
        select(MeetingAttendance)
        .join(User, User.id == MeetingAttendance.user_id)
        .where(MeetingAttendance.meeting_id == meeting.id)
        .order_by(User.full_name),
        page_arg(),
        PRESENT_PER_PAGE,
        options=[selectinload(MeetingAttendance.user)],
    )
    items = [
        {
            "item": i,
            "counts": svc.vote_counts(i) if i.motion else None,
            "mine": svc.my_vote(i, current_user),
            "may_vote": svc.may_vote(current_user, i),
        }
        for i in meeting.items
    ]
    return render_template(
        "governance/meeting.html",
        association=association,
        meeting=meeting,
        items=items,
        quorum=svc.quorum_of(meeting),
        present=present,
        voting_present=svc.voting_ids(association.id, [a.user_id for a in present.items]),
        unmarked_total=unmarked_total,
        q=q,
        is_present=svc.is_present(meeting, current_user),
        manager=manager,
        attendance_form=attendance_form,
        checkin_form=CheckInForm(),
        vote_form=VoteForm(),
        minutes=svc.minutes_of(meeting),
        svc=svc,
        active_tab="governance.index",
    )


@bp.post("/a/<slug>/meetings/<id:meeting_id>/attendance")
def mark_attendance(slug: str, meeting_id: int):
    association, meeting = _meeting(slug, meeting_id, "governance.manage")
    form = AttendanceForm()
    form.present.choices = [
        SelectChoice(uid, str(uid))
        for uid in db.session.scalars(
            select(Membership.user_id).where(Membership.association_id == association.id)
        )
    ]
    if not form.validate_on_submit() or meeting.state == "closed":
        flash(_("The attendance could not be saved."), "error")
        return redirect(_back(meeting))
    svc.mark_present(meeting, form.present.data, "secretary")
    db.session.commit()
    return redirect(_back(meeting) + "#quorum")


@bp.post("/a/<slug>/meetings/<id:meeting_id>/attendance/<id:user_id>/remove")
def unmark_attendance(slug: str, meeting_id: int, user_id: int):
    """Correct a mistake before the meeting opens (the quorum is recorded at the opening)."""
    association, meeting = _meeting(slug, meeting_id, "governance.manage")
    _csrf_or_400()
    if meeting.state != "planned":
        flash(_("Attendance can be corrected only before the meeting opens."), "error")
        return redirect(_back(meeting))
    row = db.session.scalar(
        select(MeetingAttendance).where(
            MeetingAttendance.meeting_id == meeting.id, MeetingAttendance.user_id == user_id
        )
    )
    if row is not None:
        db.session.delete(row)
        db.session.commit()
    return redirect(_back(meeting) + "#present-h")


@bp.post("/a/<slug>/meetings/<id:meeting_id>/checkin")
@login_required
def checkin(slug: str, meeting_id: int):
    association, meeting = _meeting(slug, meeting_id)
    form = CheckInForm()
    if not form.validate_on_submit():
        flash(_("Type the meeting's code."), "error")
        return redirect(_back(meeting))
    try:
        svc.check_in(meeting, current_user, form.code.data)
    except svc.GovernanceError as exc:
        return _fail(exc, _back(meeting))
    db.session.commit()
    flash(_("You are checked in."), "success")
    return redirect(_back(meeting))


@bp.post("/a/<slug>/meetings/<id:meeting_id>/online")
@login_required
def confirm_online(slug: str, meeting_id: int):
    association, meeting = _meeting(slug, meeting_id)
    _csrf_or_400()
    try:
        svc.confirm_online(meeting, current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, _back(meeting))
    db.session.commit()
    return redirect(_back(meeting))


@bp.post("/a/<slug>/meetings/<id:meeting_id>/<any(open, close, notice):step>")
def meeting_step(slug: str, meeting_id: int, step: str):
    association, meeting = _meeting(slug, meeting_id, "governance.manage")
    _csrf_or_400()
    try:
        if step == "open":
            svc.open_meeting(meeting)
        elif step == "close":
            svc.close_meeting(meeting)
        else:
            svc.send_notice(meeting)
    except svc.GovernanceError as exc:
        return _fail(exc, _back(meeting))
    db.session.commit()
    return redirect(_back(meeting))


@bp.post("/a/<slug>/items/<id:item_id>/<any(start, stop):step>")
def item_step(slug: str, item_id: int, step: str):
    association, item = _item(slug, item_id, "governance.manage")
    _csrf_or_400()
    try:
        if step == "start":
            svc.start_vote(item)
        else:
            svc.close_vote(item)
    except svc.GovernanceError as exc:
        return _fail(exc, _back(item.meeting))
    db.session.commit()
    return redirect(_back(item.meeting) + f"#item-{item.id}")


@bp.post("/a/<slug>/items/<id:item_id>/vote")
@login_required
def vote(slug: str, item_id: int):
    association, item = _item(slug, item_id)
    back = _back(item.meeting) + f"#item-{item.id}"
    form = VoteForm()
    if not form.validate_on_submit():
        flash(_("Choose for, against or abstain."), "error")
        return redirect(back)
    try:
        svc.cast_vote(item.id, current_user, form.choice.data)
    except svc.GovernanceError as exc:
        return _fail(exc, back)
    flash(_("Your vote is recorded."), "success")
    return redirect(back)
