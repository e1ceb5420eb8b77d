"""A mentoring pair: its page and state changes, goals, meetings, observations with reflections,
and its report.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.api import (
    PostForm,
    csv_export,
    db,
    utcnow,
)
from plugins.mentoring import services as svc
from plugins.mentoring.forms import (
    GoalForm,
    GoalStatusForm,
    MeetingForm,
    ObservationForm,
    ReasonForm,
    ReflectionForm,
)
from plugins.mentoring.models import (
    Goal,
    Observation,
    join_codes,
)
from plugins.mentoring.views.common import (
    _held_errors,
    _need_choices,
    _pair,
    _render_pair,
    _require_writer,
    bp,
)


@bp.get("/pairs/<id:pair_id>")
def pair(pair_id: int):
    return _render_pair(_pair(pair_id))


@bp.post("/pairs/<id:pair_id>/do/<action>")
def pair_action(pair_id: int, action: str):
    pair = _pair(pair_id)
    if action not in svc.TRANSITIONS:
        abort(404)
    form = ReasonForm() if svc.TRANSITIONS[action].needs_reason else PostForm()
    if not svc.may_do(current_user, pair, action):
        abort(403)
    if not form.validate_on_submit():
        if isinstance(form, ReasonForm) and "csrf_token" not in form.errors:
            return _render_pair(pair, reason_form=form)
        abort(400)
    reason = form.reason.data if isinstance(form, ReasonForm) else ""
    try:
        svc.transition(pair, action, current_user, reason)
    except svc.TransitionError:
        abort(403)
    flash(_("Saved."), "success")
    return redirect(url_for(".pair", pair_id=pair.id))


@bp.post("/pairs/<id:pair_id>/goals")
def add_goal(pair_id: int):
    pair = _pair(pair_id)
    _require_writer(pair)
    form = GoalForm()
    form.need.choices = _need_choices(pair)
    if not form.validate_on_submit():
        return _render_pair(pair, goal_form=form)
    db.session.add(
        Goal(
            pair_id=pair.id,
            title=(form.title.data or "").strip(),
            need=form.need.data or "",
            target_date=form.target_date.data,
            author_id=current_user.id,
        )
    )
    db.session.commit()
    flash(_("The goal is added to the plan."), "success")
    return redirect(url_for(".pair", pair_id=pair.id, _anchor="plan"))


@bp.post("/pairs/<id:pair_id>/goals/<id:goal_id>")
def goal_status(pair_id: int, goal_id: int):
    pair = _pair(pair_id)
    _require_writer(pair)
    goal = db.session.get(Goal, goal_id)
    form = GoalStatusForm()
    if goal is None or goal.pair_id != pair.id:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    goal.status = form.status.data
    db.session.commit()
    return redirect(url_for(".pair", pair_id=pair.id, _anchor="plan"))


@bp.post("/pairs/<id:pair_id>/meetings")
def add_meeting(pair_id: int):
    pair = _pair(pair_id)
    _require_writer(pair)
    form = MeetingForm()
    if not _held_errors(pair, form):
        return _render_pair(pair, meeting_form=form)
    svc.add_meeting(
        pair,
        current_user,
        held_on=form.held_on.data,
        duration_minutes=form.duration_minutes.data,
        topic=(form.topic.data or "").strip(),
        notes=(form.notes.data or "").strip(),
        next_steps=(form.next_steps.data or "").strip(),
    )
    db.session.commit()
    flash(_("The meeting is logged."), "success")
    return redirect(url_for(".pair", pair_id=pair.id, _anchor="meetings"))


@bp.route("/pairs/<id:pair_id>/observations/new", methods=["GET", "POST"])
def new_observation(pair_id: int):
    pair = _pair(pair_id)
    _require_writer(pair)
    form = ObservationForm()
    if form.validate_on_submit():
        svc.add_observation(
            pair,
            current_user,
            lesson_date=form.lesson_date.data,
            class_name=(form.class_name.data or "").strip(),
            lesson_topic=(form.lesson_topic.data or "").strip(),
            focus=join_codes(form.focus.data),
            went_well=(form.went_well.data or "").strip(),
            to_improve=(form.to_improve.data or "").strip(),
            actions=(form.actions.data or "").strip(),
        )
        db.session.commit()
        flash(_("The observation is saved."), "success")
        return redirect(url_for(".pair", pair_id=pair.id, _anchor="observations"))
    return render_template(
        "mentoring/observation_form.html",
        pair=pair,
        association=pair.programme.association,
        form=form,
        side=svc.side_of(current_user, pair),
        active_tab="mentoring.programmes",
    )


@bp.post("/pairs/<id:pair_id>/observations/<id:obs_id>/reflection")
def reflect(pair_id: int, obs_id: int):
    pair = _pair(pair_id)
    obs = db.session.get(Observation, obs_id)
    if obs is None or obs.pair_id != pair.id:
        abort(404)
    if svc.observed_user_id(pair, obs) != current_user.id:
        abort(403)
    form = ReflectionForm()
    if not form.validate_on_submit():
        return _render_pair(pair, **{f"reflection_{obs.id}": form})
    obs.reflection = (form.reflection.data or "").strip()
    obs.reflected_at = utcnow()
    db.session.commit()
    flash(_("Your reflection is saved."), "success")
    return redirect(url_for(".pair", pair_id=pair.id, _anchor=f"obs-{obs.id}"))


@bp.get("/pairs/<id:pair_id>/report")
def pair_report(pair_id: int):
    pair = _pair(pair_id)
    return render_template(
        "mentoring/pair_report.html",
        pair=pair,
        programme=pair.programme,
        hours=svc.meeting_hours(pair),
        svc=svc,
    )


@bp.get("/pairs/<id:pair_id>/report.csv")
def pair_report_csv(pair_id: int):
    pair = _pair(pair_id)
    rows: list[list] = [
        [_("Programme"), pair.programme.name],
        [_("Mentor"), pair.mentor.user.full_name],
        [_("Young specialist"), pair.novice.user.full_name],
        [_("State"), str(svc.STATE_LABELS[pair.state])],
        [_("Mentoring hours"), svc.meeting_hours(pair)],
        [],
        [_("Goal"), _("Linked need"), _("Target date"), _("Status")],
    ]
    for g in pair.goals:
        rows.append(
            [
                g.title,
                ", ".join(svc.area_labels([g.need] if g.need else [])),
                g.target_date.isoformat(),
                str(svc.GOAL_STATUSES.get(g.status, g.status)),
            ]
        )
    rows += [
        [],
        [_("Date"), _("Duration, minutes"), _("Topic"), _("Notes"), _("Agreed next steps")],
    ]
    for m in pair.meetings:
        rows.append([m.held_on.isoformat(), m.duration_minutes, m.topic, m.notes, m.next_steps])
    rows += [
        [],
        [
            _("Lesson date"),
            _("Whose lesson"),
            _("Lesson topic"),
            _("Focus areas"),
            _("What went well"),
            _("What to improve"),
            _("Agreed actions"),
            _("Reflection"),
        ],
    ]
    for o in pair.observations:
        rows.append(
            [
                o.lesson_date.isoformat(),
                _("young specialist's") if o.observed == "novice" else _("mentor's"),
                o.lesson_topic,
                ", ".join(svc.area_labels(o.focus)),
                o.went_well,
                o.to_improve,
                o.actions,
                o.reflection,
            ]
        )
    return csv_export.csv_response(f"mentoring-pair-{pair.id}.csv", [], rows)
