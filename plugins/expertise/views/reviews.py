"""Reviewing: assigning experts, invitations, declared conflicts, the review form and the author's
response.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import (
    User,
    db,
    notifications,
    parse_id,
    permissions,
    plugin_gate,
    site_date,
    utcnow,
)
from plugins.expertise import services as svc
from plugins.expertise.forms import (
    AssignForm,
    ConflictForm,
    ReasonForm,
    ResponseForm,
    review_form,
)
from plugins.expertise.models import (
    Assignment,
    Review,
    Submission,
)
from plugins.expertise.views.common import (
    _assignment,
    _deny,
    _submission,
    bp,
)


@bp.route("/s/<id:sub_id>/assign", methods=["GET", "POST"])
def assign(sub_id: int):
    sub = _submission(sub_id)
    permissions.require("expertise.coordinate", sub.association)
    form = AssignForm()
    if form.validate_on_submit():
        expert_id = parse_id(form.expert_id.data)
        expert = db.session.get(User, expert_id) if expert_id else None
        if expert is None:
            abort(400)
        try:
            svc.assign(sub, expert, current_user)
        except svc.WorkflowError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("expertise.assign", sub_id=sub.id)), 303
        db.session.commit()
        flash(_("%(name)s was invited.", name=expert.full_name), "success")
        return redirect(url_for("expertise.assign", sub_id=sub.id))
    ranked, excluded = svc.suggestions(sub) if sub.state == "in_review" else ([], [])
    current = db.session.scalars(
        select(Assignment)
        .where(Assignment.submission_id == sub.id, Assignment.round == sub.round)
        .options(selectinload(Assignment.expert))
        .order_by(Assignment.id)
    ).all()
    active = sum(1 for a in current if a.status in (*svc.ACTIVE_ASSIGNMENT, "done"))
    return render_template(
        "expertise/assign.html",
        sub=sub,
        association=sub.association,
        ranked=ranked,
        excluded=excluded,
        current=current,
        bids=svc.bids_for(sub),
        bid_of={b.expert_id: b.value for b in svc.bids_for(sub)},
        needed=max(svc.settings_for(sub.association).experts_per_round - active, 0),
        form=form,
        now=utcnow(),
        svc=svc,
    )


@bp.post("/assignment/<id:assignment_id>/<answer>")
def answer(assignment_id: int, answer: str):
    a = _assignment(assignment_id)
    sub = a.submission
    if answer == "remove":
        permissions.require("expertise.coordinate", sub.association)
        if a.status not in (*svc.ACTIVE_ASSIGNMENT, "declined", "expired"):
            abort(409)
        form = ReasonForm()
        if not form.validate_on_submit():
            abort(400)
        a.status = "removed"
        db.session.commit()
        return redirect(url_for("expertise.assign", sub_id=sub.id))
    if answer not in ("accept", "decline"):
        abort(404)
    if not current_user.is_authenticated or a.expert_id != current_user.id:
        _deny()
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        svc.respond(a, current_user, answer == "accept", form.reason.data or "")
    except svc.WorkflowError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id)), 303
    db.session.commit()
    if answer == "accept":
        flash(_("Thank you. The review is due by %(date)s.", date=site_date(a.due_at)), "success")
        return redirect(url_for("expertise.review", assignment_id=a.id))
    return redirect(url_for("expertise.association_home", slug=sub.association.slug))


@bp.post("/s/<id:sub_id>/conflict")
def conflict(sub_id: int):
    sub = _submission(sub_id)
    mine = svc.active_assignment(current_user, sub)
    if mine is None:
        _deny()
    form = ConflictForm()
    if not form.validate_on_submit():
        flash(_("Give a reason."), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id)), 303
    svc.declare_conflict(sub, current_user, form.reason.data)
    db.session.commit()
    flash(_("Your conflict of interest was recorded."), "success")
    return redirect(url_for("expertise.association_home", slug=sub.association.slug))


@bp.route("/assignment/<id:assignment_id>/review", methods=["GET", "POST"])
def review(assignment_id: int):
    a = _assignment(assignment_id)
    sub = a.submission
    if not current_user.is_authenticated or a.expert_id != current_user.id:
        _deny()
    if svc.is_author(current_user, sub):
        abort(403)
    if a.status != "accepted" or sub.state != "in_review":
        flash(_("This step is not possible in the current state."), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id))
    rubric = sub.rubric
    form = review_form(rubric)
    if form.validate_on_submit():
        scores = [
            (c, form[f"score_{c.id}"].data, form[f"comment_{c.id}"].data or "")
            for c in rubric.criteria
        ]
        try:
            svc.save_review(
                a,
                current_user,
                scores,
                form.recommendation.data,
                form.to_author.data,
                form.confidential.data or "",
            )
        except svc.WorkflowError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("expertise.submission", sub_id=sub.id)), 303
        db.session.commit()
        flash(_("Your review was submitted. Thank you."), "success")
        return redirect(url_for("expertise.submission", sub_id=sub.id))
    return render_template(
        "expertise/review_form.html",
        sub=sub,
        association=sub.association,
        a=a,
        rubric=rubric,
        form=form,
        svc=svc,
    )


@bp.post("/review/<id:review_id>/response")
def respond_to_review(review_id: int):
    r = db.session.get(Review, review_id)
    if r is None:
        abort(404)
    sub = db.session.get(Submission, r.submission_id)
    plugin_gate.abort_unless_enabled(svc.PLUGIN, sub.association_id)
    if not svc.is_author(current_user, sub) or not svc.can_read_review(current_user, r, sub):
        _deny()
    form = ResponseForm()
    if not form.validate_on_submit():
        flash(_("Write a response first."), "error")
        return redirect(url_for("expertise.submission", sub_id=sub.id)), 303
    r.response = form.response.data.strip()
    r.response_at = utcnow()
    notifications.notify(
        r.expert,
        "expertise.response",
        _l("The author responded to your review of “%(title)s”", title=sub.title),
        r.response[:500],
        url_for("expertise.submission", sub_id=sub.id),
        sub.association,
    )
    db.session.commit()
    flash(_("Your response was saved."), "success")
    return redirect(url_for("expertise.submission", sub_id=sub.id, _anchor=f"review-{r.id}"))
