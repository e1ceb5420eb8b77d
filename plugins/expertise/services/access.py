"""Who is who, and who may read what: authors, coordinators, reviews and confidential notes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Association,
    db,
    permissions,
)
from plugins.expertise.models import (
    Assignment,
    AssignmentStatus,
    Review,
    Submission,
    SubmissionState,
)
from plugins.expertise.services.rubric import (
    ACTIVE_ASSIGNMENT,
    DECIDED,
    _memo,
    settings_for,
)


def is_author(user: Any, sub: Submission) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.id in sub.author_ids


def coordinates(user: Any, association: Association) -> bool:
    """Leaders and coordinators (and administrators over the association) run the review."""
    return permissions.manages(user, association)


def active_assignment(user: Any, sub: Submission) -> Assignment | None:
    """The user's live or finished assignment on ``sub`` (memoised for the request)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return _memo(("assignment", user.id, sub.id), lambda: _load_assignment(user, sub))


def _load_assignment(user: Any, sub: Submission) -> Assignment | None:
    return db.session.scalar(
        select(Assignment)
        .where(
            Assignment.submission_id == sub.id,
            Assignment.expert_id == user.id,
            Assignment.status.in_((*ACTIVE_ASSIGNMENT, AssignmentStatus.DONE)),
        )
        .order_by(Assignment.id.desc())
    )


def can_view(user: Any, sub: Submission) -> bool:
    """Published materials are public; otherwise authors, coordinators and assigned experts."""
    if sub.state == SubmissionState.RECOMMENDED:
        return True
    if is_author(user, sub) or coordinates(user, sub.association):
        return True
    return active_assignment(user, sub) is not None


def round_decided(sub: Submission, round_: int) -> bool:
    return round_ < sub.round or sub.state in DECIDED


def can_read_review(user: Any, review: Review, sub: Submission) -> bool:
    """The coordinator and the writer always; then the rest by the association's openness."""
    if coordinates(user, sub.association):
        return True
    if getattr(user, "is_authenticated", False) and review.expert_id == user.id:
        return True
    decided = round_decided(sub, review.round)
    if is_author(user, sub):
        return decided or not settings_for(sub.association).hide_until_decision
    if sub.state == SubmissionState.RECOMMENDED:
        return True
    # Fellow experts of the submission see the other reviews once the round is decided.
    return decided and active_assignment(user, sub) is not None


def reviewer_shown(user: Any, review: Review, sub: Submission) -> bool:
    """Whether ``user`` may see who wrote ``review``."""
    if coordinates(user, sub.association):
        return True
    if getattr(user, "is_authenticated", False) and review.expert_id == user.id:
        return True
    mode = settings_for(sub.association).reviewer_identity
    if mode == "anonymous":
        return False
    if mode == "anonymous_until_decision":
        return round_decided(sub, review.round)
    return True


def can_read_confidential(user: Any, review: Review, sub: Submission) -> bool:
    if coordinates(user, sub.association):
        return True
    return getattr(user, "is_authenticated", False) and review.expert_id == user.id
