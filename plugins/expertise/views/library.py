"""The library of recommended materials, an association's expertise page, my materials, and the
coordinators' dashboard, settings and rubric.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import load_only, selectinload

from core.api import (
    Association,
    User,
    association_for,
    cached_page,
    db,
    permissions,
    plugin_gate,
    site_date,
    utcnow,
)
from plugins.expertise import services as svc
from plugins.expertise.forms import (
    CriterionForm,
    NoteForm,
    RubricForm,
    SettingsForm,
)
from plugins.expertise.models import (
    Assignment,
    Criterion,
    Submission,
)
from plugins.expertise.views.common import (
    _criterion_of_current,
    _levels,
    _library_page,
    _same_in_editable,
    _settings_page,
    _subject_choices,
    bp,
)


@bp.get("/library")
@cached_page
def library():
    rows, total, page, pages = _library_page(request.args)
    disabled = plugin_gate.disabled_association_ids(svc.PLUGIN)
    # The filter's associations: those with a published material, each found by a probe of
    # the association's materials (an index), not by reading every material as ``IN
    # (SELECT ...)`` did (1.1 ms of a 10 ms page at the bench's 2,000 materials on SQLite);
    # of each only what the filter shows, not the charters.
    published_here = (
        select(Submission.id)
        .where(Submission.association_id == Association.id, Submission.state == "recommended")
        .exists()
    )
    associations = db.session.scalars(
        select(Association)
        .where(published_here)
        .order_by(Association.name_kk)
        .options(load_only(Association.id, Association.name_kk, Association.name_ru))
    ).all()
    return render_template(
        "expertise/library.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        subjects=[(c.value, c.label) for c in _subject_choices()[1:]],
        associations=[a for a in associations if a.id not in disabled],
        today=site_date(),
        svc=svc,
    )


@bp.get("/a/<slug>")
def association_home(slug: str):
    association = association_for(svc.PLUGIN, slug)
    rows, total, page, pages = _library_page(request.args, association)
    mine = queue = invitations = []
    if current_user.is_authenticated:
        mine = db.session.scalars(
            select(Submission)
            .where(
                Submission.association_id == association.id,
                Submission.author_id == current_user.id,
            )
            .order_by(Submission.id.desc())
        ).all()
        invitations = db.session.scalars(
            select(Assignment)
            .join(Submission, Submission.id == Assignment.submission_id)
            .where(
                Submission.association_id == association.id,
                Assignment.expert_id == current_user.id,
                Assignment.status.in_(svc.ACTIVE_ASSIGNMENT),
            )
            .options(selectinload(Assignment.submission))
        ).all()
        if svc.coordinates(current_user, association):
            queue = db.session.scalars(
                select(Submission)
                .where(
                    Submission.association_id == association.id,
                    Submission.state.not_in(
                        ("draft", "recommended", "not_recommended", "withdrawn")
                    ),
                )
                .options(selectinload(Submission.author))
                .order_by(Submission.submitted_at)
            ).all()
    return render_template(
        "expertise/association.html",
        association=association,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        mine=mine,
        queue=queue,
        invitations=invitations,
        is_expert=svc.is_expert(current_user, association),
        today=site_date(),
        svc=svc,
    )


@bp.get("/mine")
@login_required
def mine():
    disabled = plugin_gate.disabled_association_ids(svc.PLUGIN)
    subs = db.session.scalars(
        select(Submission)
        .where(
            or_(
                Submission.author_id == current_user.id,
                Submission.coauthors.any(User.id == current_user.id),
            )
        )
        .options(selectinload(Submission.association))
        .order_by(Submission.id.desc())
    ).all()
    assignments = db.session.scalars(
        select(Assignment)
        .where(Assignment.expert_id == current_user.id)
        .options(selectinload(Assignment.submission).selectinload(Submission.association))
        .order_by(Assignment.id.desc())
    ).all()
    return render_template(
        "expertise/mine.html",
        subs=[s for s in subs if s.association_id not in disabled],
        assignments=[a for a in assignments if a.submission.association_id not in disabled],
        svc=svc,
    )


@bp.get("/a/<slug>/dashboard")
def dashboard(slug: str):
    association = association_for(svc.PLUGIN, slug)
    permissions.require("expertise.coordinate", association)
    return render_template(
        "expertise/dashboard.html",
        association=association,
        d=svc.dashboard(association, utcnow()),
        svc=svc,
    )


@bp.route("/a/<slug>/settings", methods=["GET", "POST"])
def settings(slug: str):
    association = association_for(svc.PLUGIN, slug)
    permissions.require("expertise.coordinate", association)
    if request.method == "GET":
        return _settings_page(association)
    st = svc.settings_for(association)
    form = SettingsForm()
    if form.validate_on_submit():
        form.populate_obj(st)
        db.session.merge(st)
        db.session.commit()
        svc.forget()
        flash(_("Saved."), "success")
        return redirect(url_for("expertise.settings", slug=slug))
    return _settings_page(association, form=form)


@bp.post("/a/<slug>/rubric")
def edit_rubric(slug: str):
    association = association_for(svc.PLUGIN, slug)
    permissions.require("expertise.coordinate", association)
    form = RubricForm(prefix="r")
    if not form.validate_on_submit():
        return _settings_page(association, rubric_form=form)
    rubric = svc.editable_rubric(association)
    rubric.name = form.name.data.strip()
    if form.scale_max.data != rubric.scale_max:
        rubric.scale_max = form.scale_max.data
        for c in rubric.criteria:
            c.levels = svc.resize_levels(c.levels, rubric.scale_max)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("expertise.settings", slug=slug))


@bp.post("/a/<slug>/criteria")
def add_criterion(slug: str):
    association = association_for(svc.PLUGIN, slug)
    permissions.require("expertise.coordinate", association)
    form = CriterionForm(prefix="c")
    valid = form.validate_on_submit()
    levels = _levels(form, svc.default_rubric(association).scale_max)
    if not valid or levels is None:
        return _settings_page(association, criterion_form=form)
    rubric = svc.editable_rubric(association)
    rubric.criteria.append(
        Criterion(
            position=max((c.position for c in rubric.criteria), default=-1) + 1,
            title=form.title.data.strip(),
            description=(form.description.data or "").strip(),
            weight=form.weight.data,
            levels=levels,
        )
    )
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("expertise.settings", slug=slug))


@bp.post("/criterion/<id:criterion_id>/edit")
def edit_criterion(criterion_id: int):
    association, c = _criterion_of_current(criterion_id)
    form = CriterionForm(prefix=f"c{c.id}")
    valid = form.validate_on_submit()
    levels = _levels(form, c.rubric.scale_max)
    if not valid or levels is None:
        return _settings_page(association, edited=(c.id, form))
    target = _same_in_editable(association, c)
    target.title = form.title.data.strip()
    target.description = (form.description.data or "").strip()
    target.weight = form.weight.data
    target.levels = levels
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("expertise.settings", slug=association.slug))


@bp.post("/criterion/<id:criterion_id>/delete")
def delete_criterion(criterion_id: int):
    association, c = _criterion_of_current(criterion_id)
    if not NoteForm().validate_on_submit():
        abort(400)
    rubric = svc.editable_rubric(association)
    if len(rubric.criteria) <= 1:
        flash(_("A rubric needs at least one criterion."), "error")
    else:
        rubric.criteria.remove(_same_in_editable(association, c))
        db.session.commit()
    return redirect(url_for("expertise.settings", slug=association.slug))
