"""What the mentoring page modules share: the blueprint and lookups with permission checks."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from core.api import (
    Association,
    Membership,
    PostForm,
    Subject,
    User,
    association_for,
    db,
    permissions,
    plugin_gate,
)
from plugins.mentoring import services as svc
from plugins.mentoring.forms import (
    GoalForm,
    GoalStatusForm,
    MeetingForm,
    PlanMeetingForm,
    ProgrammeForm,
    PulseForm,
    ReasonForm,
    ReflectionForm,
)
from plugins.mentoring.models import (
    Pair,
    Programme,
    split_codes,
)

# The blueprint's folders are the plugin package's, one level above this views package.
bp = Blueprint(
    "mentoring",
    __name__,
    root_path=str(Path(__file__).resolve().parent.parent),
    template_folder="templates",
    static_folder="static",
)


PLUGIN = "mentoring"


def _programme(slug: str, programme_id: int) -> tuple[Association, Programme]:
    association = association_for(PLUGIN, slug)
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.association_id != association.id:
        abort(404)
    permissions.require("mentoring.view_programme", programme)
    return association, programme


def _coordinated(slug: str, programme_id: int) -> tuple[Association, Programme]:
    association, programme = _programme(slug, programme_id)
    permissions.require("mentoring.coordinate", programme)
    return association, programme


def _pair(pair_id: int) -> Pair:
    pair = db.session.get(Pair, pair_id)
    if pair is None:
        abort(404)
    plugin_gate.abort_unless_enabled(PLUGIN, pair.programme.association_id)
    permissions.require("mentoring.view_pair", pair)
    return pair


def _subjects() -> list[Subject]:
    return list(db.session.scalars(select(Subject).order_by(Subject.name_kk)))


def _mine(programme: Programme, model):
    if not current_user.is_authenticated:
        return None
    return db.session.scalar(
        select(model).where(model.programme_id == programme.id, model.user_id == current_user.id)
    )


def _member_choices(association: Association) -> list[SelectChoice]:
    rows = db.session.execute(
        select(User.id, User.full_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.association_id == association.id)
        .order_by(User.full_name)
    ).all()
    return [SelectChoice(uid, name) for uid, name in rows]


def _fill_programme(programme: Programme, form: ProgrammeForm) -> None:
    for name in (
        "name",
        "period",
        "starts_on",
        "ends_on",
        "description",
        "min_category",
        "max_mentees",
        "meetings_per_month",
        "observations_required",
        "enrolment_open",
    ):
        setattr(programme, name, getattr(form, name).data)
    programme.name = programme.name.strip()
    if form.alert_weeks.data:
        programme.alert_weeks = form.alert_weeks.data
    svc.set_coordinators(programme, form.coordinators.data or [])


def _require_enrolment(association: Association, programme: Programme, existing) -> None:
    if not permissions.is_member(current_user, association):
        abort(403)
    if existing is None and not programme.enrolment_open:
        flash(_("Enrolment in this programme is closed."), "error")
        abort(redirect(url_for(".programme", slug=association.slug, programme_id=programme.id)))


def _render_pair(pair: Pair, **forms):
    side = svc.side_of(current_user, pair)
    goal_form = forms.get("goal_form") or GoalForm(formdata=None)
    goal_form.need.choices = _need_choices(pair)
    plan_form = forms.get("plan_form") or PlanMeetingForm(formdata=None)
    for f in plan_form:  # the log's form on the same page has a topic and a duration too
        if f.name != "csrf_token":
            f.id = f.label.field_id = f"plan-{f.name}"
    return render_template(
        "mentoring/pair.html",
        pair=pair,
        association=pair.programme.association,
        programme=pair.programme,
        side=side,
        coordinator=svc.is_coordinator(current_user, pair.programme),
        actions=svc.allowed_actions(current_user, pair),
        writable=side is not None and svc.meetings_and_observations_writable(pair),
        goal_form=goal_form,
        meeting_form=forms.get("meeting_form") or MeetingForm(formdata=None),
        plan_form=plan_form,
        may_plan=svc.may_plan(current_user, pair),
        pulse=svc.my_open_pulse(pair, current_user),
        pulse_form=forms.get("pulse_form") or PulseForm(formdata=None),
        message_count=svc.message_count(pair),
        reason_form=forms.get("reason_form") or ReasonForm(formdata=None),
        reflection_forms={
            o.id: forms.get(f"reflection_{o.id}")
            or ReflectionForm(formdata=None, reflection=o.reflection)
            for o in pair.observations
        },
        status_form=GoalStatusForm(formdata=None),
        post_form=PostForm(),
        hours=svc.meeting_hours(pair),
        certificate=svc.find_mentor_certificate(pair),
        active_tab="mentoring.programmes",
        svc=svc,
    )


def _need_choices(pair: Pair):
    return [SelectChoice("", _("— none —"))] + [
        SelectChoice(code, str(svc.AREAS.get(code, code)))
        for code in split_codes(pair.novice.needs)
    ]


def _require_writer(pair: Pair) -> None:
    if svc.side_of(current_user, pair) is None:
        abort(403)
    if not svc.meetings_and_observations_writable(pair):
        flash(_("This pair is not active."), "error")
        abort(redirect(url_for(".pair", pair_id=pair.id)))


def _held_errors(pair, form: MeetingForm) -> bool:
    """Validate a held meeting's form, the date against the pair (started, not in the future)."""
    ok = form.validate_on_submit()
    if form.held_on.data and not form.held_on.errors:
        error = svc.held_day_error(pair, form.held_on.data)
        if error:
            form.held_on.errors = [*form.held_on.errors, error]
            ok = False
    return ok
