"""Governance pages. Every association page finds its association with
``association_for("governance", slug)`` (404 when missing or the plugin is off there), then
checks the permission; every change is a POST with CSRF."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from core.api import (
    Membership,
    PostForm,
    User,
    association_for,
    ci_contains,
    db,
    from_local,
    page_arg,
    paginate,
    permissions,
    plugin_gate,
    require,
    utcnow,
)
from plugins.governance import services as svc
from plugins.governance.forms import (
    AttendanceForm,
    BallotForm,
    CheckInForm,
    ElectionForm,
    ExclusionForm,
    ExclusionVoteForm,
    MeetingForm,
    MinutesForm,
    NominateForm,
    PetitionForm,
    ResponseForm,
    SettingsForm,
    StartVotingForm,
    VoteForm,
)
from plugins.governance.models import (
    AgendaItem,
    Candidate,
    Election,
    Exclusion,
    GeneralMeeting,
    MeetingAttendance,
    Minutes,
    Petition,
)

bp = Blueprint("governance", __name__, template_folder="templates", static_folder="static")

PLUGIN = "governance"
ATTENDANCE_CHOICES = 100  # members offered at once to the secretary (search by name for more)
PRESENT_PER_PAGE = 100


def _association(slug: str):
    return association_for(PLUGIN, slug)


def _meeting(slug: str, meeting_id: int, action: str = "governance.browse"):
    association = _association(slug)
    meeting = db.session.get(GeneralMeeting, meeting_id)
    if meeting is None or meeting.association_id != association.id:
        abort(404)
    require(action, association)
    return association, meeting


def _item(slug: str, item_id: int, action: str = "governance.browse"):
    association = _association(slug)
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting.association_id != association.id:
        abort(404)
    require(action, association)
    return association, item


def _election(slug: str, election_id: int, action: str = "governance.browse"):
    association = _association(slug)
    election = db.session.get(Election, election_id)
    if election is None or election.association_id != association.id:
        abort(404)
    require(action, association)
    return association, election


def _exclusion(slug: str, exclusion_id: int):
    association = _association(slug)
    ex = db.session.get(Exclusion, exclusion_id)
    if ex is None or ex.association_id != association.id:
        abort(404)
    require("governance.view_exclusion", ex)
    return association, ex


def _fail(exc: svc.GovernanceError, target: str):
    db.session.rollback()
    flash(str(exc), "error")
    return redirect(target)


def _csrf_or_400() -> None:
    if not PostForm().validate_on_submit():
        abort(400)


def _voting_member_choices(association) -> list[SelectChoice]:
    return [SelectChoice(u.id, u.full_name) for u in svc.voting_member_users(association)]


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
    form = MeetingForm()
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
            unmarked = unmarked.where(ci_contains(User.full_name, q))
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


def _back(meeting: GeneralMeeting) -> str:
    return url_for("governance.meeting", slug=meeting.association.slug, meeting_id=meeting.id)


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


# --- minutes ----------------------------------------------------------------------------------


def _minutes(slug: str, meeting_id: int):
    association = _association(slug)
    meeting = db.session.get(GeneralMeeting, meeting_id)
    if meeting is None or meeting.association_id != association.id:
        abort(404)
    minutes = svc.minutes_of(meeting)
    if minutes is None:
        require("governance.browse", association)
        abort(404)
    require("governance.read_minutes", minutes)
    return association, meeting, minutes


@bp.get("/a/<slug>/meetings/<id:meeting_id>/minutes")
def minutes(slug: str, meeting_id: int):
    association, meeting, minutes = _minutes(slug, meeting_id)
    user = current_user
    return render_template(
        "governance/minutes.html",
        association=association,
        meeting=meeting,
        minutes=minutes,
        may_edit=not minutes.frozen_at and permissions.can(user, "governance.manage", association),
        may_approve=not minutes.frozen_at
        and (
            (svc.is_chair(user, association) and not minutes.chair_approved_at)
            or (svc.is_secretary(user, association) and not minutes.secretary_approved_at)
        ),
        form=PostForm(),
        active_tab="governance.index",
    )


@bp.route("/a/<slug>/meetings/<id:meeting_id>/minutes/edit", methods=["GET", "POST"])
def edit_minutes(slug: str, meeting_id: int):
    association, meeting, minutes = _minutes(slug, meeting_id)
    require("governance.manage", association)
    if minutes.frozen_at:
        flash(_("Approved minutes are frozen and cannot be edited."), "error")
        return redirect(url_for("governance.minutes", slug=slug, meeting_id=meeting.id))
    form = MinutesForm(obj=minutes)
    if form.validate_on_submit():
        svc.edit_minutes(minutes, form.body.data)
        minutes.public = form.public.data
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("governance.minutes", slug=slug, meeting_id=meeting.id))
    return render_template(
        "governance/minutes_form.html",
        association=association,
        meeting=meeting,
        form=form,
        active_tab="governance.index",
    )


@bp.post("/a/<slug>/meetings/<id:meeting_id>/minutes/approve")
@login_required
def approve_minutes(slug: str, meeting_id: int):
    association, meeting, minutes = _minutes(slug, meeting_id)
    _csrf_or_400()
    back = url_for("governance.minutes", slug=slug, meeting_id=meeting.id)
    try:
        svc.approve_minutes(minutes, current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, back)
    db.session.commit()
    flash(_("Approved."), "success")
    return redirect(back)


@bp.get("/a/<slug>/meetings/<id:meeting_id>/minutes.pdf")
def minutes_pdf(slug: str, meeting_id: int):
    association, meeting, minutes = _minutes(slug, meeting_id)
    if not minutes.frozen_at:
        abort(404)
    resp = Response(svc.minutes_pdf(minutes), mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="minutes-{meeting.id}.pdf"'
    return resp


@bp.get("/verify/")
def verify_form():
    code = (request.args.get("code") or "").strip()[:40]
    if code:
        return redirect(url_for("governance.verify", code=code))
    return render_template("governance/verify.html", minutes=None, code="")


@bp.get("/verify/<code>")
def verify(code: str):
    minutes = svc.minutes_by_code(code[:40])
    if minutes is not None and not plugin_gate.is_enabled(PLUGIN, minutes.meeting.association_id):
        minutes = None
    status = 200 if minutes else 404
    return (
        render_template(
            "governance/verify.html",
            minutes=minutes,
            code=code[:40],
            readable=minutes is not None and svc.may_read_minutes(current_user, minutes),
        ),
        status,
    )


# --- elections --------------------------------------------------------------------------------


@bp.route("/a/<slug>/elections/new", methods=["GET", "POST"])
def new_election(slug: str):
    association = _association(slug)
    require("governance.manage", association)
    form = ElectionForm()
    if request.method == "GET":
        s = svc.settings_for(association)
        form.term_months.data = s.chair_term_months
    if form.validate_on_submit():
        election = Election(
            association_id=association.id,
            position=form.position.data,
            label=(form.label.data or "").strip(),
            seats=form.seats.data,
            term_months=form.term_months.data,
            created_by_id=current_user.id,
        )
        db.session.add(election)
        db.session.commit()
        return redirect(url_for("governance.election", slug=slug, election_id=election.id))
    return render_template(
        "governance/election_form.html",
        association=association,
        form=form,
        active_tab="governance.index",
    )


@bp.get("/a/<slug>/elections/<id:election_id>")
def election(slug: str, election_id: int):
    association, election = _election(slug, election_id)
    nominate_form = NominateForm()
    nominate_form.candidate.choices = _voting_member_choices(association)
    ballot_form = BallotForm()
    ballot_form.choices.choices = [
        SelectChoice(c.id, c.user.full_name) for c in election.candidates if c.state == "accepted"
    ]
    return render_template(
        "governance/election.html",
        association=association,
        election=election,
        manager=permissions.can(current_user, "governance.manage", association),
        voting_member=svc.is_voting_member(current_user, association),
        nominate_form=nominate_form,
        ballot_form=ballot_form,
        start_form=StartVotingForm(),
        may_cast=svc.may_cast(current_user, election),
        has_cast=svc.has_cast(election, current_user),
        form=PostForm(),
        svc=svc,
        active_tab="governance.index",
    )


def _election_back(election: Election) -> str:
    return url_for("governance.election", slug=election.association.slug, election_id=election.id)


@bp.post("/a/<slug>/elections/<id:election_id>/nominate")
@login_required
def nominate(slug: str, election_id: int):
    association, election = _election(slug, election_id, "governance.vote")
    form = NominateForm()
    form.candidate.choices = _voting_member_choices(association)
    if not form.validate_on_submit():
        flash(_("Choose a voting member."), "error")
        return redirect(_election_back(election))
    try:
        svc.nominate(election, db.session.get(User, form.candidate.data), current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, _election_back(election))
    db.session.commit()
    return redirect(_election_back(election))


ANSWER_RULE = (
    "/a/<slug>/elections/<id:election_id>/candidates/<id:candidate_id>"
    "/<any(accept, decline):answer>"
)


@bp.post(ANSWER_RULE)
@login_required
def answer(slug: str, election_id: int, candidate_id: int, answer: str):
    association, election = _election(slug, election_id)
    _csrf_or_400()
    c = db.session.get(Candidate, candidate_id)
    if c is None or c.election_id != election.id:
        abort(404)
    try:
        svc.answer_nomination(c, current_user, answer == "accept")
    except svc.GovernanceError as exc:
        return _fail(exc, _election_back(election))
    db.session.commit()
    return redirect(_election_back(election))


@bp.post("/a/<slug>/elections/<id:election_id>/start")
def start_election(slug: str, election_id: int):
    association, election = _election(slug, election_id, "governance.manage")
    form = StartVotingForm()
    if not form.validate_on_submit():
        flash(_("Check the deadline."), "error")
        return redirect(_election_back(election))
    deadline = from_local(form.deadline.data) if form.deadline.data else None
    if deadline is not None and deadline <= utcnow():
        flash(_("The deadline must be in the future."), "error")
        return redirect(_election_back(election))
    try:
        svc.start_election_voting(election, deadline)
    except svc.GovernanceError as exc:
        return _fail(exc, _election_back(election))
    db.session.commit()
    return redirect(_election_back(election))


@bp.post("/a/<slug>/elections/<id:election_id>/ballot")
@login_required
def ballot(slug: str, election_id: int):
    association, election = _election(slug, election_id, "governance.vote")
    form = BallotForm()
    form.choices.choices = [
        SelectChoice(c.id, c.user.full_name) for c in election.candidates if c.state == "accepted"
    ]
    if not form.validate_on_submit():
        flash(_("Choose among the candidates."), "error")
        return redirect(_election_back(election))
    try:
        svc.cast_ballot(election.id, current_user, form.choices.data)
    except svc.GovernanceError as exc:
        return _fail(exc, _election_back(election))
    flash(_("Your secret ballot is counted."), "success")
    return redirect(_election_back(election))


@bp.post("/a/<slug>/elections/<id:election_id>/close")
def close_election(slug: str, election_id: int):
    association, election = _election(slug, election_id, "governance.manage")
    _csrf_or_400()
    try:
        svc.close_election(election, current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, _election_back(election))
    db.session.commit()
    return redirect(_election_back(election))


# --- petitions --------------------------------------------------------------------------------


@bp.route("/a/<slug>/petition/new", methods=["GET", "POST"])
def new_petition(slug: str):
    association = _association(slug)
    require("governance.vote", association)
    existing = svc.open_petition(association)
    if existing is not None:
        return redirect(url_for("governance.index", slug=slug) + "#petition")
    form = PetitionForm()
    if form.validate_on_submit():
        petition = Petition(
            association_id=association.id,
            reason=form.reason.data.strip(),
            created_by_id=current_user.id,
        )
        db.session.add(petition)
        db.session.commit()
        try:
            svc.sign_petition(petition.id, current_user)
        except svc.GovernanceError as exc:
            return _fail(exc, url_for("governance.index", slug=slug))
        return redirect(url_for("governance.index", slug=slug) + "#petition")
    return render_template(
        "governance/petition_form.html",
        association=association,
        form=form,
        active_tab="governance.index",
    )


@bp.post("/a/<slug>/petition/<id:petition_id>/sign")
@login_required
def sign(slug: str, petition_id: int):
    association = _association(slug)
    require("governance.vote", association)
    _csrf_or_400()
    petition = db.session.get(Petition, petition_id)
    if petition is None or petition.association_id != association.id:
        abort(404)
    back = url_for("governance.index", slug=slug) + "#petition"
    try:
        svc.sign_petition(petition.id, current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, back)
    flash(_("You have signed the petition."), "success")
    return redirect(back)


# --- exclusion --------------------------------------------------------------------------------


@bp.route("/a/<slug>/exclusions/new", methods=["GET", "POST"])
def new_exclusion(slug: str):
    association = _association(slug)
    require("governance.manage", association)
    form = ExclusionForm()
    form.member.choices = [
        SelectChoice(u.id, u.full_name)
        for u in svc.member_users(association)
        if u.id != current_user.id
    ]
    if form.validate_on_submit():
        try:
            ex = svc.propose_exclusion(
                association,
                db.session.get(User, form.member.data),
                current_user,
                form.reason.data.strip(),
            )
        except svc.GovernanceError as exc:
            db.session.rollback()
            form.member.errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("governance.exclusion", slug=slug, exclusion_id=ex.id))
    return render_template(
        "governance/exclusion_form.html",
        association=association,
        form=form,
        active_tab="governance.index",
    )


@bp.get("/a/<slug>/exclusions/<id:exclusion_id>")
def exclusion(slug: str, exclusion_id: int):
    association, ex = _exclusion(slug, exclusion_id)
    return render_template(
        "governance/exclusion.html",
        association=association,
        ex=ex,
        manager=permissions.can(current_user, "governance.manage", association),
        is_member_concerned=current_user.is_authenticated and ex.user_id == current_user.id,
        may_vote=svc.may_vote_exclusion(current_user, ex),
        council_size=len(svc.council_ids(association)),
        response_form=ResponseForm(),
        vote_form=ExclusionVoteForm(),
        form=PostForm(),
        active_tab="governance.index",
    )


def _ex_back(slug: str, ex: Exclusion) -> str:
    return url_for("governance.exclusion", slug=slug, exclusion_id=ex.id)


@bp.post("/a/<slug>/exclusions/<id:exclusion_id>/respond")
@login_required
def respond(slug: str, exclusion_id: int):
    association, ex = _exclusion(slug, exclusion_id)
    form = ResponseForm()
    if not form.validate_on_submit():
        flash(_("Write your response."), "error")
        return redirect(_ex_back(slug, ex))
    try:
        svc.respond_exclusion(ex, current_user, form.response.data.strip())
    except svc.GovernanceError as exc:
        return _fail(exc, _ex_back(slug, ex))
    db.session.commit()
    return redirect(_ex_back(slug, ex))


@bp.post("/a/<slug>/exclusions/<id:exclusion_id>/<any(open, decide):step>")
def exclusion_step(slug: str, exclusion_id: int, step: str):
    association, ex = _exclusion(slug, exclusion_id)
    require("governance.manage", association)
    _csrf_or_400()
    try:
        if step == "open":
            svc.open_exclusion_vote(ex)
        else:
            svc.decide_exclusion(ex, current_user)
    except svc.GovernanceError as exc:
        return _fail(exc, _ex_back(slug, ex))
    db.session.commit()
    return redirect(_ex_back(slug, ex))


@bp.post("/a/<slug>/exclusions/<id:exclusion_id>/vote")
@login_required
def exclusion_vote(slug: str, exclusion_id: int):
    association, ex = _exclusion(slug, exclusion_id)
    form = ExclusionVoteForm()
    if not form.validate_on_submit():
        flash(_("Choose for or against."), "error")
        return redirect(_ex_back(slug, ex))
    try:
        svc.vote_exclusion(ex.id, current_user, form.choice.data)
    except svc.GovernanceError as exc:
        return _fail(exc, _ex_back(slug, ex))
    flash(_("Your vote is recorded."), "success")
    return redirect(_ex_back(slug, ex))
