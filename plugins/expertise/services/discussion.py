"""The discussion among a round's reviewers, and the coordinator's meta-review.

As on OpenReview, reviewers of a material and the coordinators (its "area chairs") talk in a
thread the authors never see: one thread per review round, readable and writable by the
coordinators and the experts who accepted an invitation of that round. Authors are left out
even when they coordinate the association. The meta-review is the coordinator's summary
explaining the decision; it is published with the reviews once the round is decided: to
the authors, to the round's experts, and to everyone when the material is recommended.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import User, db, notifications, utcnow
from plugins.expertise.models import (
    Assignment,
    AssignmentStatus,
    DiscussionPost,
    MetaReview,
    Submission,
    SubmissionState,
)
from plugins.expertise.services.access import coordinates, is_author, round_decided
from plugins.expertise.services.rubric import WorkflowError
from plugins.expertise.services.workflow import _people

#: Assignments that make an expert part of a round's discussion.
DISCUSSING = (AssignmentStatus.ACCEPTED, AssignmentStatus.DONE)


def _round_reviewers(sub: Submission, round_: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Assignment, Assignment.expert_id == User.id)
            .where(
                Assignment.submission_id == sub.id,
                Assignment.round == round_,
                Assignment.status.in_(DISCUSSING),
            )
        ).unique()
    )


def discussion_rounds(user: Any, sub: Submission) -> list[int]:
    """The rounds whose discussion ``user`` may read and write (newest first)."""
    if not getattr(user, "is_authenticated", False) or is_author(user, sub) or sub.round < 1:
        return []
    if coordinates(user, sub.association):
        return list(range(sub.round, 0, -1))
    rounds = db.session.scalars(
        select(Assignment.round).where(
            Assignment.submission_id == sub.id,
            Assignment.expert_id == user.id,
            Assignment.status.in_(DISCUSSING),
        )
    ).all()
    return sorted(set(rounds), reverse=True)


def discussion(user: Any, sub: Submission) -> dict[int, list[DiscussionPost]]:
    """Posts of the rounds ``user`` may read: round -> posts, oldest first."""
    rounds = discussion_rounds(user, sub)
    out: dict[int, list[DiscussionPost]] = {r: [] for r in rounds}
    if not rounds:
        return out
    for p in db.session.scalars(
        select(DiscussionPost)
        .where(DiscussionPost.submission_id == sub.id, DiscussionPost.round.in_(rounds))
        .options(selectinload(DiscussionPost.author))
        .order_by(DiscussionPost.id)
    ):
        out[p.round].append(p)
    return out


def post_discussion(sub: Submission, user: User, body: str) -> DiscussionPost:
    """Add ``body`` to the current round's discussion and tell the others in it."""
    body = (body or "").strip()
    if sub.round not in discussion_rounds(user, sub):
        raise WorkflowError(_l("You may not take this step."))
    if not body:
        raise WorkflowError(_l("Write a message first."))
    post = DiscussionPost(submission_id=sub.id, round=sub.round, author_id=user.id, body=body)
    db.session.add(post)
    authors = sub.author_ids
    people = {u.id: u for u in [*_round_reviewers(sub, sub.round), *_people(sub, "coordinators")]}
    notifications.notify(
        [u for uid, u in people.items() if uid != user.id and uid not in authors],
        "expertise.discussion",
        _l("Experts' discussion of “%(title)s”", title=sub.title),
        body[:500],
        url_for("expertise.submission", sub_id=sub.id, _anchor="discussion"),
        sub.association,
    )
    return post


def meta_reviews(user: Any, sub: Submission) -> list[MetaReview]:
    """The meta-reviews ``user`` may read, newest round first."""
    rows = db.session.scalars(
        select(MetaReview)
        .where(MetaReview.submission_id == sub.id)
        .options(selectinload(MetaReview.author))
        .order_by(MetaReview.round.desc())
    ).all()
    return [m for m in rows if can_read_meta(user, sub, m.round)]


def can_read_meta(user: Any, sub: Submission, round_: int) -> bool:
    if coordinates(user, sub.association):
        return True
    if not round_decided(sub, round_):
        return False
    if sub.state == SubmissionState.RECOMMENDED or is_author(user, sub):
        return True
    return round_ in discussion_rounds(user, sub)


def may_write_meta(user: Any, sub: Submission) -> bool:
    return (
        coordinates(user, sub.association)
        and not is_author(user, sub)
        and sub.round >= 1
        and sub.state != SubmissionState.WITHDRAWN
    )


def save_meta(sub: Submission, user: User, body: str) -> MetaReview:
    """Write or replace the coordinator's meta-review of the current round."""
    body = (body or "").strip()
    if not may_write_meta(user, sub):
        raise WorkflowError(_l("You may not take this step."))
    if not body:
        raise WorkflowError(_l("Write a message first."))
    row = db.session.scalar(
        select(MetaReview).where(MetaReview.submission_id == sub.id, MetaReview.round == sub.round)
    )
    if row is None:
        row = MetaReview(submission_id=sub.id, round=sub.round)
        db.session.add(row)
    row.body = body
    row.author_id = user.id
    row.updated_at = utcnow()
    return row
