"""Experts: candidates, conflicts, suggestions, assignments, invitations and reviews."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Association,
    Category,
    Membership,
    Role,
    User,
    db,
    notifications,
    permissions,
    utcnow,
)
from plugins.expertise.models import (
    Assignment,
    AssignmentStatus,
    Conflict,
    Criterion,
    Review,
    Score,
    Submission,
    SubmissionState,
)
from plugins.expertise.services.access import (
    coordinates,
    is_author,
)
from plugins.expertise.services.rubric import (
    ACTIVE_ASSIGNMENT,
    WorkflowError,
    compute_total,
    settings_for,
)
from plugins.expertise.services.workflow import (
    _people,
    _url,
    review_certificate,
)


def expert_candidates(association: Association) -> list[User]:
    """Members who may review here: the expert role, or a category at or above the minimum."""
    st = settings_for(association)
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.association_id == association.id)
        .options(
            selectinload(Membership.user).selectinload(User.subjects),
        )
    ).all()
    out = []
    min_rank = Category(st.min_category).rank if st.min_category else None
    for m in rows:
        if not m.user.active:
            continue
        if m.role == Role.EXPERT.value or (
            min_rank is not None and m.user.category_enum.rank >= min_rank
        ):
            out.append(m.user)
    return out


def is_expert(user: Any, association: Association) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if permissions.has_role(user, association, Role.EXPERT):
        return True
    st = settings_for(association)
    if not st.min_category or not permissions.is_member(user, association):
        return False
    return user.category_enum.rank >= Category(st.min_category).rank


def conflict_reason(expert: User, sub: Submission, declared: set[int] | None = None) -> Any | None:
    """Why ``expert`` may not review ``sub``, or None. Checked on every assignment.

    ``declared`` (ids of experts who declared a conflict on ``sub``) saves a query per expert
    when many are checked at once.
    """
    if expert.id in sub.author_ids:
        return _l("an author or co-author")
    authors = [sub.author, *sub.coauthors]
    if expert.school_id is not None and any(a.school_id == expert.school_id for a in authors):
        return _l("same school as an author")
    if declared is None:
        declared = set(
            db.session.scalars(
                select(Conflict.expert_id).where(
                    Conflict.submission_id == sub.id, Conflict.expert_id == expert.id
                )
            )
        )
    if expert.id in declared:
        return _l("declared a conflict of interest")
    return None


@dataclass
class Suggestion:
    expert: User
    score: float
    subject_match: bool
    language_match: bool
    load: int
    past_reviews: int


def suggestions(sub: Submission) -> tuple[list[Suggestion], list[tuple[User, Any]]]:
    """Ranked experts for the current round, and those excluded with the reason.

    Ranking: a subject match counts most, then the language of instruction (the expert's
    interface language or past reviews in it), then spare capacity (fewer open assignments),
    then experience (reviews written). Experts already active in this round are left out.
    """
    candidates = expert_candidates(sub.association)
    ids = [u.id for u in candidates]
    if not ids:
        return [], []
    load = dict(
        db.session.execute(
            select(Assignment.expert_id, func.count(Assignment.id))
            .where(Assignment.expert_id.in_(ids), Assignment.status.in_(ACTIVE_ASSIGNMENT))
            .group_by(Assignment.expert_id)
        ).all()
    )
    past = dict(
        db.session.execute(
            select(Review.expert_id, func.count(Review.id))
            .where(Review.expert_id.in_(ids))
            .group_by(Review.expert_id)
        ).all()
    )
    past_lang = dict(
        db.session.execute(
            select(Review.expert_id, func.count(Review.id))
            .join(Submission, Submission.id == Review.submission_id)
            .where(Review.expert_id.in_(ids), Submission.language == sub.language)
            .group_by(Review.expert_id)
        ).all()
    )
    in_round = set(
        db.session.scalars(
            select(Assignment.expert_id).where(
                Assignment.submission_id == sub.id,
                Assignment.round == sub.round,
                Assignment.status.in_((*ACTIVE_ASSIGNMENT, AssignmentStatus.DONE)),
            )
        )
    )
    declared = set(
        db.session.scalars(select(Conflict.expert_id).where(Conflict.submission_id == sub.id))
    )
    ranked: list[Suggestion] = []
    excluded: list[tuple[User, Any]] = []
    for u in candidates:
        if u.id in in_round:
            continue
        reason = conflict_reason(u, sub, declared)
        if reason is not None:
            excluded.append((u, reason))
            continue
        subject_match = sub.subject_id is not None and any(
            s.id == sub.subject_id for s in u.subjects
        )
        language_match = u.locale == sub.language or past_lang.get(u.id, 0) > 0
        n_load = load.get(u.id, 0)
        n_past = past.get(u.id, 0)
        score = 4 * subject_match + 2 * language_match - 1.5 * n_load + min(n_past, 10) * 0.2
        ranked.append(Suggestion(u, score, subject_match, language_match, n_load, n_past))
    ranked.sort(key=lambda s: (-s.score, s.expert.full_name))
    return ranked, excluded


def assign(
    sub: Submission, expert: User, actor: User, now: dt.datetime | None = None
) -> Assignment:
    """Invite ``expert`` to review the current round; refuses conflicts and non-experts."""
    if not coordinates(actor, sub.association):
        raise WorkflowError(_l("You may not take this step."))
    if is_author(actor, sub):
        raise WorkflowError(_l("Another coordinator must handle your own material."))
    if sub.state != SubmissionState.IN_REVIEW:
        raise WorkflowError(_l("Experts are assigned while the material is in review."))
    if not is_expert(expert, sub.association):
        raise WorkflowError(_l("This person is not an expert of the association."))
    reason = conflict_reason(expert, sub)
    if reason is not None:
        raise WorkflowError(_l("Conflict of interest: %(reason)s.", reason=reason))
    existing = db.session.scalar(
        select(Assignment.id).where(
            Assignment.submission_id == sub.id,
            Assignment.round == sub.round,
            Assignment.expert_id == expert.id,
            Assignment.status.in_((*ACTIVE_ASSIGNMENT, AssignmentStatus.DONE)),
        )
    )
    if existing is not None:
        raise WorkflowError(_l("This expert is already assigned."))
    st = settings_for(sub.association)
    now = now or utcnow()
    a = Assignment(
        submission_id=sub.id,
        version_id=sub.latest.id,
        round=sub.round,
        expert_id=expert.id,
        assigned_by_id=actor.id,
        status=AssignmentStatus.INVITED,
        invited_at=now,
        respond_by=now + dt.timedelta(days=st.respond_days),
        due_at=now + dt.timedelta(days=st.review_days),
    )
    db.session.add(a)
    notifications.notify(
        expert,
        "expertise.invitation",
        _l("Invitation to review “%(title)s”", title=sub.title),
        _l("Please accept or decline the invitation."),
        _url(sub),
        sub.association,
    )
    return a


def respond(a: Assignment, user: User, accept: bool, reason: str = "") -> None:
    if a.expert_id != user.id or a.status != AssignmentStatus.INVITED:
        raise WorkflowError(_l("This step is not possible in the current state."))
    now = utcnow()
    if accept and now > a.respond_by:
        raise WorkflowError(_l("The invitation has expired."))
    a.status = AssignmentStatus.ACCEPTED if accept else AssignmentStatus.DECLINED
    a.responded_at = now
    a.reason = reason.strip()
    if not accept:
        sub = a.submission
        notifications.notify(
            _people(sub, "coordinators"),
            "expertise.assignment",
            _l("An expert declined “%(title)s”: assign another", title=sub.title),
            a.reason,
            url_for("expertise.assign", sub_id=sub.id),
            sub.association,
        )


def declare_conflict(sub: Submission, user: User, reason: str) -> None:
    """An invited expert declares a conflict: recorded, and the invitation is declined."""
    if (
        db.session.scalar(
            select(Conflict.id).where(
                Conflict.submission_id == sub.id, Conflict.expert_id == user.id
            )
        )
        is None
    ):
        db.session.add(Conflict(submission_id=sub.id, expert_id=user.id, reason=reason.strip()))
    for a in db.session.scalars(
        select(Assignment).where(
            Assignment.submission_id == sub.id,
            Assignment.expert_id == user.id,
            Assignment.status.in_(ACTIVE_ASSIGNMENT),
        )
    ):
        if a.status == AssignmentStatus.INVITED:
            respond(a, user, accept=False, reason=reason)
        else:
            a.status = AssignmentStatus.DECLINED
            a.reason = reason.strip()


def save_review(
    a: Assignment,
    user: User,
    scores: Sequence[tuple[Criterion, int, str]],
    recommendation: str,
    to_author: str,
    confidential: str,
) -> Review:
    """Store the expert's review of the assignment's version; the total is computed here."""
    sub = a.submission
    if (
        a.expert_id != user.id
        or a.status != AssignmentStatus.ACCEPTED
        or sub.state != SubmissionState.IN_REVIEW
    ):
        raise WorkflowError(_l("This step is not possible in the current state."))
    if is_author(user, sub):
        raise WorkflowError(_l("Authors cannot review their own material."))
    rubric = sub.rubric
    review = Review(
        assignment_id=a.id,
        submission_id=sub.id,
        version_id=a.version_id,
        round=a.round,
        expert_id=user.id,
        rubric_id=rubric.id,
        recommendation=recommendation,
        to_author=to_author.strip(),
        confidential=confidential.strip(),
        submitted_at=utcnow(),
        total=compute_total((c.weight, s, rubric.scale_max) for c, s, _ in scores),
        hours=settings_for(sub.association).review_hours,
    )
    for c, s, comment in scores:
        review.scores.append(
            Score(
                criterion_id=c.id,
                position=c.position,
                title=c.title,
                weight=c.weight,
                scale_max=rubric.scale_max,
                score=s,
                comment=comment.strip(),
            )
        )
    db.session.add(review)
    a.status = AssignmentStatus.DONE
    db.session.flush()
    review.expert = user
    review_certificate(review, sub)
    notifications.notify(
        _people(sub, "coordinators"),
        "expertise.review",
        _l("A review of “%(title)s” was submitted", title=sub.title),
        "",
        _url(sub),
        sub.association,
    )
    return review
