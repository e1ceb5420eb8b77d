"""The workflow: allowed steps, transitions with notifications, publication and certificates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Membership,
    User,
    certificates,
    db,
    notifications,
    permissions,
    site_date,
    utcnow,
)
from plugins.expertise.models import (
    Assignment,
    AssignmentStatus,
    Review,
    Submission,
    SubmissionState,
    Transition,
    WorkflowAction,
)
from plugins.expertise.services.access import (
    coordinates,
    is_author,
)
from plugins.expertise.services.rubric import (
    ACTIVE_ASSIGNMENT,
    DECISION_ACTIONS,
    STATES,
    TRANSITIONS,
    Step,
    WorkflowError,
    default_rubric,
    settings_for,
)


def allowed_actions(user: Any, sub: Submission) -> list[tuple[str, Step]]:
    out = []
    author = is_author(user, sub)
    coord = coordinates(user, sub.association) and not author  # nobody judges their own
    for (state, action), step in TRANSITIONS.items():
        # Resubmission carries a new version, so it has its own form, not a button.
        if state != sub.state or action == WorkflowAction.RESUBMIT:
            continue
        if action == WorkflowAction.REREVIEW and not rereview_due(sub):
            continue
        if (step.who == "author" and author) or (
            step.who == "coordinator" and coord and not author
        ):
            out.append((action, step))
    return out


def _people(sub: Submission, who: str) -> list[User]:
    if who == "authors":
        return [sub.author, *sub.coauthors]
    rows = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.association_id == sub.association_id,
            Membership.role.in_([r.value for r in permissions.MANAGER_ROLES]),
        )
    ).all()
    return list(rows)


def _url(sub: Submission) -> str:
    return url_for("expertise.submission", sub_id=sub.id)


def rereview_due(sub: Submission, now: dt.datetime | None = None) -> bool:
    """A published material whose re-review date has come."""
    return (
        sub.state == SubmissionState.RECOMMENDED
        and sub.rereview_due is not None
        and sub.rereview_due <= site_date(now)
    )


def round_reviews(sub: Submission) -> int:
    return db.session.scalar(
        select(func.count(Review.id)).where(
            Review.submission_id == sub.id, Review.round == sub.round
        )
    )


def transition(
    sub: Submission,
    action: str,
    actor: User,
    note: str = "",
    override: str = "",
    now: dt.datetime | None = None,
) -> Transition:
    """Apply ``action`` to ``sub`` if the table allows it for ``actor``; the caller commits.

    Raises :class:`WorkflowError` for a step the table does not have, a person who may not
    take it, or a precondition that fails. A decision needs the association's quorum of
    reviews of this round (``experts_per_round``); a coordinator may decide with fewer, but
    at least one, by giving ``override``, a reason kept on the transition. After a minor
    revision the coordinator may check the new version alone.
    """
    step = TRANSITIONS.get((sub.state, action))
    if step is None:
        raise WorkflowError(_l("This step is not possible in the current state."))
    allowed = is_author(actor, sub) if step.who == "author" else coordinates(actor, sub.association)
    if not allowed:
        raise WorkflowError(_l("You may not take this step."))
    if step.who == "coordinator" and is_author(actor, sub):
        raise WorkflowError(_l("Another coordinator must handle your own material."))
    note = (note or "").strip()
    override = (override or "").strip()
    if step.needs_note and not note:
        raise WorkflowError(_l("Give a reason."))
    now = now or utcnow()
    if action in (WorkflowAction.SUBMIT,) and not (sub.latest and sub.latest.files):
        raise WorkflowError(_l("Attach at least one file before submitting."))
    if action == WorkflowAction.REREVIEW and not rereview_due(sub, now):
        raise WorkflowError(_l("This material is not yet due for re-review."))
    if action not in DECISION_ACTIONS:
        override = ""
    else:
        reviews = round_reviews(sub)
        last = db.session.scalar(
            select(Transition.to_state)
            .where(
                Transition.submission_id == sub.id,
                Transition.action.in_(DECISION_ACTIONS),
                Transition.round < sub.round,
            )
            .order_by(Transition.id.desc())
        )
        needed = settings_for(sub.association).experts_per_round
        if last == SubmissionState.MINOR_REVISION:
            override = ""
        elif not reviews:
            raise WorkflowError(_l("A decision needs at least one review of this round."))
        elif reviews >= needed:
            override = ""
        elif not override:
            raise WorkflowError(
                _l(
                    "This round has %(done)s of %(needed)s reviews. Wait for the others, "
                    "or give a reason for deciding now.",
                    done=reviews,
                    needed=needed,
                )
            )
    from_state = sub.state
    sub.state = step.to
    if action == WorkflowAction.SUBMIT:
        sub.submitted_at = sub.submitted_at or now
    if action == WorkflowAction.ACCEPT or action == WorkflowAction.RESUBMIT:
        sub.round += 1
        if sub.rubric_id is None:
            sub.rubric_id = default_rubric(sub.association).id
    if action == WorkflowAction.REREVIEW:
        # A new round judged with the association's current rubric.
        sub.round += 1
        sub.rubric_id = default_rubric(sub.association).id
        sub.decided_at = None
    if action in DECISION_ACTIONS or action == WorkflowAction.WITHDRAW:
        sub.decided_at = now
    experts: list[User] = []
    if action == WorkflowAction.WITHDRAW or action in DECISION_ACTIONS:
        experts = _round_experts(sub)
    if (
        action
        in (
            WorkflowAction.ACCEPT,
            WorkflowAction.RESUBMIT,
            WorkflowAction.WITHDRAW,
            WorkflowAction.REREVIEW,
        )
        or action in DECISION_ACTIONS
    ):
        _close_open_assignments(
            sub,
            keep_current=action
            in (WorkflowAction.ACCEPT, WorkflowAction.RESUBMIT, WorkflowAction.REREVIEW),
        )
    if step.to == SubmissionState.RECOMMENDED:
        publish(sub, now)
    row = Transition(
        submission_id=sub.id,
        actor_id=actor.id,
        action=action,
        from_state=from_state,
        to_state=step.to,
        round=sub.round,
        note=note,
        override_reason=override,
        created_at=now,
    )
    db.session.add(row)
    _notify_transition(sub, action, step, actor, note)
    if experts:
        notifications.notify(
            experts,
            "expertise.decision",
            _l("“%(title)s”: %(state)s", title=sub.title, state=STATES[step.to]),
            "",
            _url(sub),
            sub.association,
        )
    return row


def _round_experts(sub: Submission) -> list[User]:
    """Experts with a live or finished assignment in the current round."""
    return list(
        db.session.scalars(
            select(User)
            .join(Assignment, Assignment.expert_id == User.id)
            .where(
                Assignment.submission_id == sub.id,
                Assignment.round == sub.round,
                Assignment.status.in_((*ACTIVE_ASSIGNMENT, AssignmentStatus.DONE)),
            )
        ).unique()
    )


def _close_open_assignments(sub: Submission, keep_current: bool) -> None:
    """Invitations of earlier rounds (or of a finished review) lapse when the round moves on."""
    for a in db.session.scalars(
        select(Assignment).where(
            Assignment.submission_id == sub.id, Assignment.status.in_(ACTIVE_ASSIGNMENT)
        )
    ):
        if keep_current and a.round == sub.round:
            continue
        a.status = AssignmentStatus.REMOVED


def _notify_transition(sub: Submission, action: str, step: Step, actor: User, note: str) -> None:
    state_label = STATES[step.to]
    title = _l("“%(title)s”: %(state)s", title=sub.title, state=state_label)
    body = note
    if step.who == "author":
        notifications.notify(
            [u for u in _people(sub, "coordinators") if u.id != actor.id],
            "expertise.submission",
            title,
            body,
            _url(sub),
            sub.association,
        )
    else:
        notifications.notify(
            _people(sub, "authors"), "expertise.status", title, body, _url(sub), sub.association
        )


def publish(sub: Submission, now: dt.datetime) -> None:
    """Put a recommended material in the library and credit its authors."""
    st = settings_for(sub.association)
    sub.published_at = now
    today = site_date(now)
    try:
        due = today.replace(year=today.year + st.rereview_years)
    except ValueError:  # 29 February
        due = today.replace(year=today.year + st.rereview_years, day=28)
    sub.rereview_due = due
    for user in [sub.author, *sub.coauthors]:
        material_certificate(sub, user)


def material_certificate(sub: Submission, user: User):
    return certificates.issue(
        source_key=f"expertise:material:{sub.id}:user:{user.id}",
        recipient=user,
        title=str(_l("Author of a recommended material: “%(title)s”", title=sub.title)),
        kind="expertise.material",
        issuer=sub.association.name,
        issued_on=site_date(sub.published_at),
        association_id=sub.association_id,
    )


def review_certificate(review: Review, sub: Submission):
    return certificates.issue(
        source_key=f"expertise:review:{review.id}",
        recipient=review.expert,
        title=str(_l("Expert review of “%(title)s”", title=sub.title)),
        kind="expertise.review",
        hours=review.hours or 0.0,
        issuer=sub.association.name,
        issued_on=site_date(review.submitted_at),
        association_id=sub.association_id,
    )
