"""A pair's planned meetings (plan, the .ics invitation, move, cancel, record as held) and the
author's edits and deletions of meetings, goals and observations, with their history."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.api import PostForm, db, from_local, site_date, to_local, utcnow
from plugins.mentoring import services as svc
from plugins.mentoring.forms import GoalForm, MeetingForm, ObservationForm, PlanMeetingForm
from plugins.mentoring.models import Goal, Meeting, MeetingStatus, Observation, join_codes
from plugins.mentoring.views.common import (
    _held_errors,
    _need_choices,
    _pair,
    _render_pair,
    _require_writer,
    bp,
)

GOAL_FIELDS = ("title", "need", "target_date")
HELD_FIELDS = ("held_on", "duration_minutes", "topic", "notes", "next_steps")
OBSERVATION_FIELDS = (
    "lesson_date",
    "class_name",
    "lesson_topic",
    "focus",
    "went_well",
    "to_improve",
    "actions",
)


def _meeting(pair, meeting_id: int) -> Meeting:
    m = db.session.get(Meeting, meeting_id)
    if m is None or m.pair_id != pair.id or m.deleted_at is not None:
        abort(404)
    return m


def _planned(pair, meeting_id: int) -> Meeting:
    m = _meeting(pair, meeting_id)
    if m.status != MeetingStatus.PLANNED:
        abort(404)
    if not svc.may_plan(current_user, pair):
        abort(403)
    return m


def _starts_at(form: PlanMeetingForm) -> dt.datetime:
    return from_local(dt.datetime.combine(form.day.data, form.time.data))


def _plan_fields(form: PlanMeetingForm) -> dict:
    return {
        "starts_at": _starts_at(form),
        "duration_minutes": form.duration_minutes.data,
        "topic": (form.topic.data or "").strip(),
        "place": (form.place.data or "").strip(),
        "link": (form.link.data or "").strip(),
    }


def _check_start(pair, form: PlanMeetingForm) -> bool:
    if not form.validate_on_submit():
        return False
    error = svc.planned_start_error(pair, _starts_at(form))
    if error:
        form.day.errors = [*form.day.errors, error]
        return False
    return True


@bp.post("/pairs/<id:pair_id>/meetings/plan")
def plan_meeting(pair_id: int):
    pair = _pair(pair_id)
    if not svc.may_plan(current_user, pair):
        abort(403)
    form = PlanMeetingForm()
    if not _check_start(pair, form):
        return _render_pair(pair, plan_form=form)
    m = svc.plan_meeting(pair, current_user, **_plan_fields(form))
    db.session.commit()
    flash(_("The meeting is planned and your partner is invited."), "success")
    return redirect(url_for(".pair", pair_id=pair.id, _anchor=f"meeting-{m.id}"))


@bp.get("/pairs/<id:pair_id>/meetings/<id:meeting_id>/invite.ics")
def meeting_ics(pair_id: int, meeting_id: int):
    pair = _pair(pair_id)
    m = _meeting(pair, meeting_id)
    if m.starts_at is None:
        abort(404)
    body = svc.to_ics(m, pair)
    method = svc.ics_method(m)
    resp = Response(body, mimetype="text/calendar")
    resp.headers["Content-Type"] = f"text/calendar; charset=utf-8; method={method}"
    resp.headers["Content-Disposition"] = f'attachment; filename="mentoring-meeting-{m.id}.ics"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/pairs/<id:pair_id>/meetings/<id:meeting_id>/move", methods=["GET", "POST"])
def move_meeting(pair_id: int, meeting_id: int):
    pair = _pair(pair_id)
    m = _planned(pair, meeting_id)
    form = PlanMeetingForm()
    if not form.is_submitted():
        local = to_local(m.starts_at)
        form.day.data, form.time.data = local.date(), local.time().replace(second=0)
        form.duration_minutes.data, form.topic.data = m.duration_minutes, m.topic
        form.place.data, form.link.data = m.place, m.link
    elif _check_start(pair, form):
        if svc.reschedule(pair, m, current_user, **_plan_fields(form)):
            db.session.commit()
            flash(_("The meeting is changed and your partner is told."), "success")
        return redirect(url_for(".pair", pair_id=pair.id, _anchor=f"meeting-{m.id}"))
    return _form_page("mentoring/meeting_plan_form.html", pair, form, meeting=m)


@bp.post("/pairs/<id:pair_id>/meetings/<id:meeting_id>/cancel")
def cancel_meeting(pair_id: int, meeting_id: int):
    pair = _pair(pair_id)
    m = _planned(pair, meeting_id)
    if not PostForm().validate_on_submit():
        abort(400)
    svc.cancel(pair, m, current_user)
    db.session.commit()
    flash(_("The meeting is cancelled and your partner is told."), "success")
    return redirect(url_for(".pair", pair_id=pair.id, _anchor="planned"))


@bp.route("/pairs/<id:pair_id>/meetings/<id:meeting_id>/held", methods=["GET", "POST"])
def hold_meeting(pair_id: int, meeting_id: int):
    """Record a planned meeting as held: it becomes an entry of the log."""
    pair = _pair(pair_id)
    m = _planned(pair, meeting_id)
    form = MeetingForm()
    if not form.is_submitted():
        form.held_on.data = min(m.held_on, site_date())
        form.duration_minutes.data, form.topic.data = m.duration_minutes, m.topic
    elif _held_errors(pair, form):
        svc.record_held(
            pair,
            m,
            current_user,
            held_on=form.held_on.data,
            duration_minutes=form.duration_minutes.data,
            topic=(form.topic.data or "").strip(),
            notes=(form.notes.data or "").strip(),
            next_steps=(form.next_steps.data or "").strip(),
        )
        db.session.commit()
        flash(_("The meeting is logged."), "success")
        return redirect(url_for(".pair", pair_id=pair.id, _anchor=f"meeting-{m.id}"))
    return _form_page("mentoring/meeting_form.html", pair, form, meeting=m, holding=True)


def _own(pair, obj) -> None:
    if not svc.may_edit(current_user, pair, obj):
        abort(403)


@bp.route("/pairs/<id:pair_id>/meetings/<id:meeting_id>/edit", methods=["GET", "POST"])
def edit_meeting(pair_id: int, meeting_id: int):
    pair = _pair(pair_id)
    m = _meeting(pair, meeting_id)
    if m.status != MeetingStatus.HELD:
        abort(404)
    _own(pair, m)
    form = MeetingForm(obj=m) if not PostForm().is_submitted() else MeetingForm()
    if form.is_submitted() and _held_errors(pair, form):
        before = svc.snapshot(m, HELD_FIELDS)
        m.held_on, m.duration_minutes = form.held_on.data, form.duration_minutes.data
        m.topic, m.notes = (form.topic.data or "").strip(), (form.notes.data or "").strip()
        m.next_steps = (form.next_steps.data or "").strip()
        if svc.record_change(pair, "meeting", m, "edit", current_user, before):
            m.updated_at = utcnow()
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".pair", pair_id=pair.id, _anchor=f"meeting-{m.id}"))
    return _form_page("mentoring/meeting_form.html", pair, form, meeting=m, holding=False)


def _soft_delete(pair, obj, kind: str, fields: tuple[str, ...]) -> None:
    if not PostForm().validate_on_submit():
        abort(400)
    before = svc.snapshot(obj, fields)
    obj.deleted_at = utcnow()
    svc.record_change(pair, kind, obj, "delete", current_user, before)
    db.session.commit()
    flash(_("Deleted. The entry stays in the history."), "success")


@bp.post("/pairs/<id:pair_id>/meetings/<id:meeting_id>/delete")
def delete_meeting(pair_id: int, meeting_id: int):
    pair = _pair(pair_id)
    m = _meeting(pair, meeting_id)
    if m.status != MeetingStatus.HELD:
        abort(404)
    _own(pair, m)
    _soft_delete(pair, m, "meeting", HELD_FIELDS)
    return redirect(url_for(".pair", pair_id=pair.id, _anchor="meetings"))


def _goal(pair, goal_id: int) -> Goal:
    g = db.session.get(Goal, goal_id)
    if g is None or g.pair_id != pair.id or g.deleted_at is not None:
        abort(404)
    _own(pair, g)
    return g


@bp.route("/pairs/<id:pair_id>/goals/<id:goal_id>/edit", methods=["GET", "POST"])
def edit_goal(pair_id: int, goal_id: int):
    pair = _pair(pair_id)
    g = _goal(pair, goal_id)
    form = GoalForm(obj=g) if not PostForm().is_submitted() else GoalForm()
    form.need.choices = _need_choices(pair)
    if form.validate_on_submit():
        before = svc.snapshot(g, GOAL_FIELDS)
        g.title, g.need = (form.title.data or "").strip(), form.need.data or ""
        g.target_date = form.target_date.data
        if svc.record_change(pair, "goal", g, "edit", current_user, before):
            g.updated_at = utcnow()
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".pair", pair_id=pair.id, _anchor="plan"))
    return _form_page("mentoring/goal_form.html", pair, form, goal=g)


@bp.post("/pairs/<id:pair_id>/goals/<id:goal_id>/delete")
def delete_goal(pair_id: int, goal_id: int):
    pair = _pair(pair_id)
    g = _goal(pair, goal_id)
    _soft_delete(pair, g, "goal", GOAL_FIELDS)
    return redirect(url_for(".pair", pair_id=pair.id, _anchor="plan"))


def _observation(pair, obs_id: int) -> Observation:
    o = db.session.get(Observation, obs_id)
    if o is None or o.pair_id != pair.id or o.deleted_at is not None:
        abort(404)
    _own(pair, o)
    return o


@bp.route("/pairs/<id:pair_id>/observations/<id:obs_id>/edit", methods=["GET", "POST"])
def edit_observation(pair_id: int, obs_id: int):
    pair = _pair(pair_id)
    o = _observation(pair, obs_id)
    if not PostForm().is_submitted():
        form = ObservationForm(obj=o)
        form.focus.data = [c for c in o.focus.split(",") if c]
    else:
        form = ObservationForm()
    if form.validate_on_submit():
        before = svc.snapshot(o, OBSERVATION_FIELDS)
        o.lesson_date, o.class_name = form.lesson_date.data, (form.class_name.data or "").strip()
        o.lesson_topic, o.focus = (
            (form.lesson_topic.data or "").strip(),
            join_codes(form.focus.data),
        )
        o.went_well, o.to_improve = (
            (form.went_well.data or "").strip(),
            (form.to_improve.data or "").strip(),
        )
        o.actions = (form.actions.data or "").strip()
        if svc.record_change(pair, "observation", o, "edit", current_user, before):
            o.updated_at = utcnow()
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for(".pair", pair_id=pair.id, _anchor=f"obs-{o.id}"))
    return render_template(
        "mentoring/observation_form.html",
        pair=pair,
        association=pair.programme.association,
        form=form,
        side=svc.side_of(current_user, pair),
        editing=o,
        active_tab="mentoring.programmes",
    )


@bp.post("/pairs/<id:pair_id>/observations/<id:obs_id>/delete")
def delete_observation(pair_id: int, obs_id: int):
    pair = _pair(pair_id)
    o = _observation(pair, obs_id)
    _soft_delete(pair, o, "observation", OBSERVATION_FIELDS)
    return redirect(url_for(".pair", pair_id=pair.id, _anchor="observations"))


@bp.get("/pairs/<id:pair_id>/history")
def history(pair_id: int):
    pair = _pair(pair_id)
    return render_template(
        "mentoring/history.html",
        pair=pair,
        association=pair.programme.association,
        changes=svc.history(pair),
        active_tab="mentoring.programmes",
        svc=svc,
    )


def _form_page(template: str, pair, form, **extra):
    _require_writer(pair)
    return render_template(
        template,
        pair=pair,
        association=pair.programme.association,
        form=form,
        active_tab="mentoring.programmes",
        svc=svc,
        **extra,
    )
