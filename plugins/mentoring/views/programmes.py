"""Programmes: the lists, creating and editing a programme, mentors and young specialists
enrolling, approving mentors, matching, the programme report.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from core.api import (
    PostForm,
    User,
    association_for,
    csv_export,
    db,
    notifications,
    parse_id,
    permissions,
    plugin_gate,
)
from plugins.mentoring import services as svc
from plugins.mentoring.forms import (
    MentorForm,
    MentorRequestForm,
    NoviceForm,
    ProgrammeForm,
)
from plugins.mentoring.models import (
    MentorProfile,
    NoviceRequest,
    Pair,
    Programme,
    join_codes,
    split_codes,
)
from plugins.mentoring.views.common import (
    PLUGIN,
    _coordinated,
    _fill_programme,
    _member_choices,
    _mine,
    _programme,
    _require_enrolment,
    _subjects,
    bp,
)


@bp.get("/")
@login_required
def index():
    """The current user's pairs and enrolments, and programmes of their associations."""
    off = plugin_gate.disabled_association_ids(PLUGIN)
    my_assoc = [aid for aid in permissions.memberships_of(current_user) if aid not in off]
    programmes = list(
        db.session.scalars(
            select(Programme)
            .where(Programme.association_id.in_(my_assoc))
            .options(selectinload(Programme.association))
            .order_by(Programme.created_at.desc())
        )
    )
    pairs = list(
        db.session.scalars(
            select(Pair)
            .join(MentorProfile, MentorProfile.id == Pair.mentor_id)
            .join(NoviceRequest, NoviceRequest.id == Pair.novice_id)
            .join(Programme, Programme.id == Pair.programme_id)
            .where(
                (MentorProfile.user_id == current_user.id)
                | (NoviceRequest.user_id == current_user.id)
            )
            .options(
                selectinload(Pair.mentor).selectinload(MentorProfile.user),
                selectinload(Pair.novice).selectinload(NoviceRequest.user),
                selectinload(Pair.programme).selectinload(Programme.association),
            )
            .order_by(Pair.created_at.desc())
        )
    )
    pairs = [p for p in pairs if p.programme.association_id not in off]
    return render_template("mentoring/index.html", programmes=programmes, pairs=pairs, svc=svc)


@bp.get("/a/<slug>/")
def programmes(slug: str):
    association = association_for(PLUGIN, slug)
    permissions.require("mentoring.browse", association)
    rows = list(
        db.session.scalars(
            select(Programme)
            .where(Programme.association_id == association.id)
            .order_by(Programme.created_at.desc())
        )
    )
    return render_template(
        "mentoring/programmes.html",
        association=association,
        programmes=rows,
        active_tab="mentoring.programmes",
        svc=svc,
    )


@bp.route("/a/<slug>/new", methods=["GET", "POST"])
def new_programme(slug: str):
    association = association_for(PLUGIN, slug)
    permissions.require("mentoring.create_programme", association)
    form = ProgrammeForm()
    form.coordinators.choices = _member_choices(association)
    if form.validate_on_submit():
        programme = Programme(association_id=association.id, created_by_id=current_user.id)
        _fill_programme(programme, form)
        db.session.add(programme)
        db.session.commit()
        flash(_("The programme is created."), "success")
        return redirect(url_for(".programme", slug=slug, programme_id=programme.id))
    return render_template(
        "mentoring/programme_form.html",
        association=association,
        form=form,
        programme=None,
        active_tab="mentoring.programmes",
    )


@bp.route("/a/<slug>/<id:programme_id>/edit", methods=["GET", "POST"])
def edit_programme(slug: str, programme_id: int):
    association, programme = _coordinated(slug, programme_id)
    form = ProgrammeForm(obj=programme)
    form.coordinators.choices = _member_choices(association)
    if request.method == "GET":
        form.coordinators.data = [c.user_id for c in programme.coordinators]
    if form.validate_on_submit():
        _fill_programme(programme, form)
        db.session.commit()
        flash(_("The programme is saved."), "success")
        return redirect(url_for(".programme", slug=slug, programme_id=programme.id))
    return render_template(
        "mentoring/programme_form.html",
        association=association,
        form=form,
        programme=programme,
        active_tab="mentoring.programmes",
    )


@bp.get("/a/<slug>/<id:programme_id>/")
def programme(slug: str, programme_id: int):
    association, programme = _programme(slug, programme_id)
    coordinator = svc.is_coordinator(current_user, programme)
    figures = svc.programme_figures(programme) if coordinator else None
    return render_template(
        "mentoring/programme.html",
        association=association,
        programme=programme,
        coordinator=coordinator,
        figures=figures,
        flags=svc.struggling(programme, [r.pair for r in figures.pairs]) if figures else [],
        open_requests=svc.open_requests(programme) if coordinator else [],
        my_mentor=_mine(programme, MentorProfile),
        my_novice=_mine(programme, NoviceRequest),
        meets_rules=svc.meets_rules(current_user, programme),
        active_tab="mentoring.programmes",
        post_form=PostForm(),
        svc=svc,
    )


@bp.route("/a/<slug>/<id:programme_id>/mentor", methods=["GET", "POST"])
def enrol_mentor(slug: str, programme_id: int):
    association, programme = _programme(slug, programme_id)
    profile = _mine(programme, MentorProfile)
    _require_enrolment(association, programme, profile)
    user: User = current_user
    form = MentorForm()
    form.subjects.choices = [SelectChoice(s.id, s.name) for s in _subjects()]
    if request.method == "GET":
        if profile:
            form.subjects.data = profile.subject_ids
            form.grades.data = profile.grade_list
            form.languages.data = split_codes(profile.languages)
            form.strengths.data = split_codes(profile.strengths)
            form.capacity.data = profile.capacity
            form.availability.data = profile.availability
            form.experience_years.data = profile.experience_years
        else:
            form.subjects.data = [s.id for s in user.subjects]
            form.experience_years.data = user.experience_years
            form.capacity.data = 1
    valid = form.validate_on_submit()
    if valid and form.capacity.data > programme.max_mentees:
        form.capacity.errors.append(_("At most %(n)s in this programme.", n=programme.max_mentees))
        valid = False
    if valid:
        new = profile is None
        if new:
            profile = MentorProfile(programme_id=programme.id, user_id=user.id)
            profile.status = "approved" if svc.meets_rules(user, programme) else "pending"
            db.session.add(profile)
        profile.subjects = join_codes(form.subjects.data)
        profile.grades = join_codes(sorted(form.grades.data))
        profile.languages = join_codes(form.languages.data)
        profile.strengths = join_codes(form.strengths.data)
        profile.capacity = form.capacity.data
        profile.availability = form.availability.data.strip()
        profile.experience_years = form.experience_years.data
        profile.category = user.category
        profile.school_id = user.school_id
        profile.district_id = user.district_id
        if new and profile.status == "pending":
            notifications.notify(
                svc.programme_coordinators(programme),
                "mentoring.mentor_approval",
                lambda: _(
                    "%(name)s asks to mentor in «%(programme)s»",
                    name=user.full_name,
                    programme=programme.name,
                ),
                url=url_for(".programme", slug=slug, programme_id=programme.id),
                association=association,
            )
        db.session.commit()
        if profile.status == "pending":
            flash(_("Saved. A coordinator will review your mentor profile."), "success")
        else:
            flash(_("Your mentor profile is saved."), "success")
        return redirect(url_for(".programme", slug=slug, programme_id=programme.id))
    return render_template(
        "mentoring/mentor_form.html",
        association=association,
        programme=programme,
        form=form,
        profile=profile,
        meets_rules=svc.meets_rules(user, programme),
        active_tab="mentoring.programmes",
        svc=svc,
    )


@bp.route("/a/<slug>/<id:programme_id>/novice", methods=["GET", "POST"])
def enrol_novice(slug: str, programme_id: int):
    association, programme = _programme(slug, programme_id)
    req = _mine(programme, NoviceRequest)
    _require_enrolment(association, programme, req)
    user: User = current_user
    form = NoviceForm()
    form.subject.choices = [SelectChoice(s.id, s.name) for s in _subjects()]
    if request.method == "GET":
        if req:
            form.subject.data = req.subject_id
            form.grades.data = req.grade_list
            form.language.data = req.language
            form.needs.data = split_codes(req.needs)
            form.diagnostic.data = req.diagnostic
            form.preferences.data = req.preferences
            form.experience_years.data = req.experience_years
        else:
            form.subject.data = user.subjects[0].id if user.subjects else None
            form.experience_years.data = user.experience_years
            form.language.data = user.locale if user.locale in svc.LANGUAGES else "kk"
    if form.validate_on_submit():
        if req is None:
            req = NoviceRequest(programme_id=programme.id, user_id=user.id)
            db.session.add(req)
        req.subject_id = form.subject.data
        req.grades = join_codes(sorted(form.grades.data))
        req.language = form.language.data
        req.needs = join_codes(form.needs.data)
        req.diagnostic = form.diagnostic.data.strip()
        req.preferences = form.preferences.data.strip()
        req.experience_years = form.experience_years.data
        req.category = user.category
        req.school_id = user.school_id
        req.district_id = user.district_id
        db.session.commit()
        flash(_("Your request is saved. Here are the mentors who fit you best."), "success")
        return redirect(url_for(".mentors", slug=slug, programme_id=programme.id))
    return render_template(
        "mentoring/novice_form.html",
        association=association,
        programme=programme,
        form=form,
        req=req,
        active_tab="mentoring.programmes",
        svc=svc,
    )


@bp.get("/a/<slug>/<id:programme_id>/mentors")
def mentors(slug: str, programme_id: int):
    """The novice's ranked list of feasible mentors, with the reasons for each score."""
    association, programme = _programme(slug, programme_id)
    req = _mine(programme, NoviceRequest)
    if req is None:
        return redirect(url_for(".enrol_novice", slug=slug, programme_id=programme_id))
    ranked = svc.ranked_mentors(programme, req)
    profiles = {
        p.id: p
        for p in db.session.scalars(
            select(MentorProfile)
            .where(MentorProfile.id.in_([s.mentor.id for s in ranked]))
            .options(selectinload(MentorProfile.user), selectinload(MentorProfile.school))
        )
    }
    subject_name = req.subject.name if req.subject else ""
    open_req = svc.open_request(req)
    paired = db.session.scalar(
        select(Pair.id).where(Pair.novice_id == req.id, Pair.state.in_(svc.OPEN_STATES))
    )
    subject_names = {s.id: s.name for s in _subjects()}
    return render_template(
        "mentoring/mentors.html",
        association=association,
        programme=programme,
        req=req,
        ranked=ranked,
        profiles=profiles,
        subject_name=subject_name,
        subject_names=subject_names,
        my_requests=svc.requests_of(req),
        open_req=open_req,
        can_ask=open_req is None and not paired,
        request_form=MentorRequestForm(formdata=None),
        active_tab="mentoring.programmes",
        svc=svc,
    )


@bp.post("/a/<slug>/<id:programme_id>/mentors/<id:mentor_id>/<decision>")
def decide_mentor(slug: str, programme_id: int, mentor_id: int, decision: str):
    association, programme = _coordinated(slug, programme_id)
    if decision not in ("approve", "decline") or not PostForm().validate_on_submit():
        abort(400)
    profile = db.session.get(MentorProfile, mentor_id)
    if profile is None or profile.programme_id != programme.id:
        abort(404)
    profile.status = "approved" if decision == "approve" else "declined"
    approved = profile.status == "approved"
    notifications.notify(
        profile.user,
        "mentoring.mentor_approval",
        (lambda: _("You are approved as a mentor in «%(p)s»", p=programme.name))
        if approved
        else (lambda: _("Your mentor profile in «%(p)s» was not approved", p=programme.name)),
        url=url_for(".programme", slug=slug, programme_id=programme.id),
        association=association,
    )
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".programme", slug=slug, programme_id=programme.id))


@bp.route("/a/<slug>/<id:programme_id>/assign", methods=["GET", "POST"])
def assign(slug: str, programme_id: int):
    """GET: the optimal proposals as an editable form (one mentor choice per waiting novice).
    POST: confirm the edited choices; each is re-checked under the capacity lock."""
    association, programme = _coordinated(slug, programme_id)
    form = PostForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        choices: list[tuple[int, int]] = []
        for key, value in request.form.items():
            novice_id, mentor_id = parse_id(key.removeprefix("n-")), parse_id(value)
            if key.startswith("n-") and novice_id and mentor_id:
                choices.append((novice_id, mentor_id))
        if not choices:
            flash(_("No pair was chosen."), "error")
            return redirect(url_for(".assign", slug=slug, programme_id=programme_id))
        result = svc.confirm(programme, choices, current_user)
        if result.created:
            flash(
                _("%(n)s pair(s) proposed to mentors and novices.", n=len(result.created)),
                "success",
            )
        for _novice_id, _mentor_id, code in result.rejected:
            flash(_("A pair was not created: %(why)s.", why=svc.REJECT_REASONS[code]), "error")
        return redirect(url_for(".programme", slug=slug, programme_id=programme_id))
    proposals = svc.propose(programme)
    return render_template(
        "mentoring/assign.html",
        association=association,
        programme=programme,
        proposals=proposals,
        total=round(sum(p.score for p in proposals if p.mentor), 2),
        form=form,
        active_tab="mentoring.programmes",
        svc=svc,
    )


@bp.get("/a/<slug>/<id:programme_id>/report")
def programme_report(slug: str, programme_id: int):
    association, programme = _coordinated(slug, programme_id)
    return render_template(
        "mentoring/programme_report.html",
        association=association,
        programme=programme,
        figures=svc.programme_figures(programme),
        svc=svc,
    )


@bp.get("/a/<slug>/<id:programme_id>/report.csv")
def programme_report_csv(slug: str, programme_id: int):
    association, programme = _coordinated(slug, programme_id)
    f = svc.programme_figures(programme)
    rows: list[list] = [
        [_("Programme"), programme.name, programme.period],
        [_("Association"), association.name],
        [_("Young specialists"), f.novices],
        [_("With a mentor"), len(f.with_mentor)],
        [_("Without a mentor"), len(f.without_mentor)],
    ]
    rows += [[str(svc.STATE_LABELS[s]), n] for s, n in f.by_state.items()]
    rows += [[], [_("Month"), _("Meetings"), _("Hours")]]
    rows += [[m, n, h] for m, n, h in f.meetings_by_month]
    rows += [
        [],
        [
            _("Mentor"),
            _("Young specialist"),
            _("State"),
            _("Meetings"),
            _("Hours"),
            _("Observations"),
            _("Observations expected"),
            _("Overdue goals"),
            _("Meetings expected"),
        ],
    ]
    for r in f.pairs:
        rows.append(
            [
                r.pair.mentor.user.full_name,
                r.pair.novice.user.full_name,
                str(svc.STATE_LABELS[r.pair.state]),
                r.meetings,
                r.hours,
                r.observations,
                f.observations_required,
                r.overdue_goals,
                r.expected_meetings,
            ]
        )
    rows += [[], [_("Without a mentor")]]
    rows += [[n.user.full_name, n.subject.name if n.subject else ""] for n in f.without_mentor]
    return csv_export.csv_response(f"mentoring-programme-{programme.id}.csv", [], rows)
