"""The rules of expert review: the workflow table, who may be an expert, conflicts of
interest, the rubric total, who may read what, and credit for authors and experts.

Views call these functions and never change a submission's ``state`` themselves: every change
goes through :func:`transition`, which checks the one table :data:`TRANSITIONS`, records the
step and notifies the people concerned.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, has_request_context, url_for
from flask_babel import force_locale
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
    certificates,
    db,
    notifications,
    permissions,
    site_date,
    utcnow,
)
from plugins.expertise.models import (
    Assignment,
    Conflict,
    Criterion,
    Review,
    Rubric,
    Score,
    Settings,
    Submission,
    Transition,
)

PLUGIN = "expertise"

MATERIAL_TYPES: dict[str, Any] = {
    "lesson_plan": _l("Short-term (lesson) plan"),
    "medium_term_plan": _l("Medium-term plan"),
    "method_recommendation": _l("Methodological recommendation"),
    "summative_tasks": _l("Summative assessment tasks for a unit or term"),
    "teaching_kit": _l("Teaching kit"),
    "author_programme": _l("Author programme"),
    "elective_programme": _l("Elective course programme"),
    "didactic_materials": _l("Didactic materials"),
    "event_scenario": _l("Extracurricular event scenario"),
}

LANGUAGES: dict[str, Any] = {"kk": _l("Kazakh"), "ru": _l("Russian"), "en": _l("English")}

STATES: dict[str, Any] = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "screening": _l("Screening"),
    "returned": _l("Returned to the author"),
    "in_review": _l("In review"),
    "minor_revision": _l("Minor revision"),
    "major_revision": _l("Major revision"),
    "recommended": _l("Recommended"),
    "not_recommended": _l("Not recommended"),
    "withdrawn": _l("Withdrawn"),
}

RECOMMENDATIONS: dict[str, Any] = {
    "recommended": _l("Recommend"),
    "minor_revision": _l("Minor revision"),
    "major_revision": _l("Major revision"),
    "not_recommended": _l("Do not recommend"),
}


ASSIGNMENT_STATUS: dict[str, Any] = {
    "invited": _l("invited"),
    "accepted": _l("accepted"),
    "declined": _l("declined"),
    "expired": _l("no answer"),
    "removed": _l("removed"),
    "done": _l("review submitted"),
}

IDENTITY: dict[str, Any] = {
    "named": _l("Reviewers are named"),
    "anonymous_until_decision": _l("Reviewers are anonymous until the decision"),
    "anonymous": _l("Reviewers stay anonymous"),
}

#: States in which a decision on the current round has been taken.
DECIDED = frozenset({"minor_revision", "major_revision", "recommended", "not_recommended"})
FINAL = frozenset({"recommended", "not_recommended", "withdrawn"})
ACTIVE_ASSIGNMENT = ("invited", "accepted")


@dataclass(frozen=True)
class Step:
    to: str
    who: str  # "author" (author or co-author) | "coordinator"
    label: Any
    needs_note: bool = False


#: The workflow: (state, action) -> step. Nothing else changes a submission's state.
TRANSITIONS: dict[tuple[str, str], Step] = {
    ("draft", "submit"): Step("submitted", "author", _l("Submit for review")),
    ("returned", "submit"): Step("submitted", "author", _l("Submit again")),
    ("submitted", "screen"): Step("screening", "coordinator", _l("Start screening")),
    ("screening", "return"): Step("returned", "coordinator", _l("Return to the author"), True),
    ("screening", "accept"): Step("in_review", "coordinator", _l("Send to review")),
    ("in_review", "recommend"): Step("recommended", "coordinator", _l("Recommend")),
    ("in_review", "minor"): Step("minor_revision", "coordinator", _l("Ask for a minor revision")),
    ("in_review", "major"): Step("major_revision", "coordinator", _l("Ask for a major revision")),
    ("in_review", "reject"): Step("not_recommended", "coordinator", _l("Do not recommend")),
    ("minor_revision", "resubmit"): Step("in_review", "author", _l("Resubmit")),
    ("major_revision", "resubmit"): Step("in_review", "author", _l("Resubmit")),
}
for _state in (
    "draft",
    "submitted",
    "screening",
    "returned",
    "in_review",
    "minor_revision",
    "major_revision",
):
    TRANSITIONS[(_state, "withdraw")] = Step("withdrawn", "author", _l("Withdraw"))

DECISION_ACTIONS = ("recommend", "minor", "major", "reject")


class WorkflowError(Exception):
    """A refused action; ``str(exc)`` is a message for the user (translated lazily)."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


# --- settings and rubrics --------------------------------------------------------------------


def _memo(key: tuple, compute):
    """``compute()`` once per request for ``key`` (pages ask the same per review)."""
    if not has_request_context():
        return compute()
    cache = g.setdefault("_expertise_memo", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def forget() -> None:
    """Drop the request memo after a change the same request reads again."""
    if has_request_context():
        g.pop("_expertise_memo", None)


def settings_for(association: Association | int) -> Settings:
    """The association's settings; an unsaved default row when it never changed them."""
    aid = association if isinstance(association, int) else association.id
    return _memo(("settings", aid), lambda: _load_settings(aid))


def _load_settings(aid: int) -> Settings:
    row = db.session.get(Settings, aid)
    if row is None:
        row = Settings(
            association_id=aid,
            experts_per_round=2,
            min_category="",
            reviewer_identity="named",
            hide_until_decision=False,
            respond_days=5,
            review_days=21,
            rereview_years=3,
        )
    return row


DEFAULT_CRITERIA = [
    (
        _l("Learning objectives match the curriculum"),
        _l("Objectives are taken from the subject curriculum and fit the lesson."),
    ),
    (
        _l("Success criteria and descriptors"),
        _l("Assessment criteria and descriptors are clear and measurable."),
    ),
    (
        _l("Active learning methods"),
        _l("Pupils work actively: pairs, groups, research, discussion."),
    ),
    (_l("Differentiation"), _l("Tasks and support fit pupils of different levels.")),
    (_l("Formative assessment and feedback"), _l("Pupils get feedback during the lesson.")),
    (_l("Time planning"), _l("Stages have realistic timings.")),
    (_l("Resources"), _l("Resources are named, available and suitable.")),
    (_l("Functional literacy"), _l("Tasks apply knowledge to real-life situations.")),
    (_l("Language correctness"), _l("The text is correct in the language of instruction.")),
    (_l("Originality"), _l("The material brings the author's own ideas.")),
]
DEFAULT_LEVELS = [
    _l("Absent"),
    _l("Partly present"),
    _l("Present with minor gaps"),
    _l("Fully present"),
]


def default_rubric(association: Association) -> Rubric:
    """The association's current rubric (its newest), creating the default lesson-plan rubric
    on first use. A submission pins the current rubric when it is sent to review.

    The default's texts are stored in the site's default language; the coordinator edits them.
    """
    rubric = db.session.scalar(
        select(Rubric)
        .where(Rubric.association_id == association.id)
        .order_by(Rubric.id.desc())
        .options(selectinload(Rubric.criteria))
    )
    if rubric is not None:
        return rubric
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        rubric = Rubric(
            association_id=association.id, name=str(_l("Lesson plan rubric")), scale_max=3
        )
        for i, (title, description) in enumerate(DEFAULT_CRITERIA):
            rubric.criteria.append(
                Criterion(
                    position=i,
                    title=str(title),
                    description=str(description),
                    weight=1.0,
                    levels=[str(level) for level in DEFAULT_LEVELS],
                )
            )
    db.session.add(rubric)
    db.session.flush()
    return rubric


def rubric_in_use(rubric: Rubric) -> bool:
    """Whether a submission has pinned this rubric (it went to review with it)."""
    return bool(
        db.session.scalar(
            select(func.count(Submission.id)).where(Submission.rubric_id == rubric.id)
        )
    )


def editable_rubric(association: Association) -> Rubric:
    """The rubric a coordinator's change applies to: the current one, or a new copy of it when
    submissions already use it. Materials in review keep the rubric they started with, so two
    experts of one round always score against the same criteria."""
    rubric = default_rubric(association)
    if not rubric_in_use(rubric):
        return rubric
    copy = Rubric(association_id=association.id, name=rubric.name, scale_max=rubric.scale_max)
    for c in rubric.criteria:
        copy.criteria.append(
            Criterion(
                position=c.position,
                title=c.title,
                description=c.description,
                weight=c.weight,
                levels=list(c.levels),
            )
        )
    db.session.add(copy)
    db.session.flush()
    return copy


def resize_levels(levels: list[str], scale_max: int) -> list[str]:
    """Descriptors for a new scale: extra levels are dropped, missing ones left blank."""
    return (list(levels) + [""] * (scale_max + 1))[: scale_max + 1]


def compute_total(items: Iterable[tuple[float, int, int]]) -> float:
    """The review total in percent from ``(weight, score, scale_max)`` per criterion.

    ``sum(weight * score / scale_max) / sum(weight) * 100``: each score is first made a share of
    its scale, so criteria with different scales still mix fairly. 0 when nothing is weighted.
    """
    items = list(items)
    weights = sum(w for w, _s, _m in items)
    if weights <= 0:
        return 0.0
    return 100.0 * sum(w * s / m for w, s, m in items if m > 0) / weights


# --- roles -----------------------------------------------------------------------------------


def is_author(user: Any, sub: Submission) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.id in sub.author_ids


def coordinates(user: Any, association: Association) -> bool:
    """Leaders and coordinators (and administrators over the association) run the review."""
    return permissions.manages(user, association)


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
                Assignment.status.in_((*ACTIVE_ASSIGNMENT, "done")),
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


# --- reading rules ---------------------------------------------------------------------------


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
            Assignment.status.in_((*ACTIVE_ASSIGNMENT, "done")),
        )
        .order_by(Assignment.id.desc())
    )


def can_view(user: Any, sub: Submission) -> bool:
    """Published materials are public; otherwise authors, coordinators and assigned experts."""
    if sub.state == "recommended":
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
    if sub.state == "recommended":
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


# --- workflow --------------------------------------------------------------------------------


def allowed_actions(user: Any, sub: Submission) -> list[tuple[str, Step]]:
    out = []
    author = is_author(user, sub)
    coord = coordinates(user, sub.association) and not author  # nobody judges their own
    for (state, action), step in TRANSITIONS.items():
        # Resubmission carries a new version, so it has its own form, not a button.
        if state != sub.state or action == "resubmit":
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


def transition(sub: Submission, action: str, actor: User, note: str = "") -> Transition:
    """Apply ``action`` to ``sub`` if the table allows it for ``actor``; the caller commits.

    Raises :class:`WorkflowError` for a step the table does not have, a person who may not
    take it, or a precondition that fails (a decision needs a review of this round unless the
    last decision was a minor revision, which the coordinator may check alone).
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
    if step.needs_note and not note:
        raise WorkflowError(_l("Give a reason."))
    now = utcnow()
    if action in ("submit",) and not (sub.latest and sub.latest.files):
        raise WorkflowError(_l("Attach at least one file before submitting."))
    if action in DECISION_ACTIONS:
        reviews = db.session.scalar(
            select(func.count(Review.id)).where(
                Review.submission_id == sub.id, Review.round == sub.round
            )
        )
        last = db.session.scalar(
            select(Transition.to_state)
            .where(Transition.submission_id == sub.id, Transition.action.in_(DECISION_ACTIONS))
            .order_by(Transition.id.desc())
        )
        if not reviews and last != "minor_revision":
            raise WorkflowError(_l("A decision needs at least one review of this round."))
    from_state = sub.state
    sub.state = step.to
    if action == "submit":
        sub.submitted_at = sub.submitted_at or now
    if action == "accept" or action == "resubmit":
        sub.round += 1
        if sub.rubric_id is None:
            sub.rubric_id = default_rubric(sub.association).id
    if action in DECISION_ACTIONS or action == "withdraw":
        sub.decided_at = now
    experts: list[User] = []
    if action == "withdraw" or action in DECISION_ACTIONS:
        experts = _round_experts(sub)
    if action in ("accept", "resubmit", "withdraw") or action in DECISION_ACTIONS:
        _close_open_assignments(sub, keep_current=action in ("accept", "resubmit"))
    if step.to == "recommended":
        publish(sub, now)
    row = Transition(
        submission_id=sub.id,
        actor_id=actor.id,
        action=action,
        from_state=from_state,
        to_state=step.to,
        round=sub.round,
        note=note,
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
                Assignment.status.in_((*ACTIVE_ASSIGNMENT, "done")),
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
        a.status = "removed"


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
        issuer=sub.association.name,
        issued_on=site_date(review.submitted_at),
        association_id=sub.association_id,
    )


# --- assignments -----------------------------------------------------------------------------


def assign(
    sub: Submission, expert: User, actor: User, now: dt.datetime | None = None
) -> Assignment:
    """Invite ``expert`` to review the current round; refuses conflicts and non-experts."""
    if not coordinates(actor, sub.association):
        raise WorkflowError(_l("You may not take this step."))
    if is_author(actor, sub):
        raise WorkflowError(_l("Another coordinator must handle your own material."))
    if sub.state != "in_review":
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
            Assignment.status.in_((*ACTIVE_ASSIGNMENT, "done")),
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
        status="invited",
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
    if a.expert_id != user.id or a.status != "invited":
        raise WorkflowError(_l("This step is not possible in the current state."))
    now = utcnow()
    if accept and now > a.respond_by:
        raise WorkflowError(_l("The invitation has expired."))
    a.status = "accepted" if accept else "declined"
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
        if a.status == "invited":
            respond(a, user, accept=False, reason=reason)
        else:
            a.status = "declined"
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
    if a.expert_id != user.id or a.status != "accepted" or sub.state != "in_review":
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
    a.status = "done"
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


# --- jobs ------------------------------------------------------------------------------------

REMIND_BEFORE = dt.timedelta(days=2)


def run_reminders(now: dt.datetime) -> dict[str, int]:
    """Remind experts of invitations and reviews nearing their deadline; expire unanswered
    invitations and tell coordinators about late reviews. Each person hears once per
    assignment, so running it twice changes nothing (``reminded_at``/``late_notified_at``).
    """
    from core.api import plugin_gate

    counts = {"reminded": 0, "expired": 0, "late": 0}
    rows = db.session.scalars(
        select(Assignment)
        .where(Assignment.status.in_(ACTIVE_ASSIGNMENT))
        .options(selectinload(Assignment.submission), selectinload(Assignment.expert))
    ).all()
    for a in rows:
        sub = a.submission
        if not plugin_gate.is_enabled(PLUGIN, sub.association_id):
            continue
        deadline = a.respond_by if a.status == "invited" else a.due_at
        if a.status == "invited" and now >= a.respond_by:
            a.status = "expired"
            counts["expired"] += 1
            notifications.notify(
                _people(sub, "coordinators"),
                "expertise.assignment",
                _l("An invitation for “%(title)s” expired: assign another", title=sub.title),
                a.expert.full_name,
                url_for("expertise.assign", sub_id=sub.id),
                sub.association,
                now=now,
            )
            continue
        if a.status == "accepted" and now >= a.due_at:
            if a.late_notified_at is None:
                a.late_notified_at = now
                counts["late"] += 1
                notifications.notify(
                    _people(sub, "coordinators"),
                    "expertise.assignment",
                    _l("A review of “%(title)s” is late", title=sub.title),
                    a.expert.full_name,
                    url_for("expertise.assign", sub_id=sub.id),
                    sub.association,
                    now=now,
                )
            continue
        if a.reminded_at is None and deadline - now <= REMIND_BEFORE:
            a.reminded_at = now
            counts["reminded"] += 1
            notifications.notify(
                a.expert,
                "expertise.reminder",
                _l("Reminder: “%(title)s”", title=sub.title),
                _l("The deadline is near."),
                _url(sub),
                sub.association,
                now=now,
            )
    return counts


# --- dashboard -------------------------------------------------------------------------------


def dashboard(association: Association, now: dt.datetime) -> dict[str, Any]:
    by_state = dict(
        db.session.execute(
            select(Submission.state, func.count(Submission.id))
            .where(Submission.association_id == association.id)
            .group_by(Submission.state)
        ).all()
    )
    overdue = db.session.scalars(
        select(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(
            Submission.association_id == association.id,
            (
                (Assignment.status == "accepted") & (Assignment.due_at < now)
                | (Assignment.status == "invited") & (Assignment.respond_by < now)
            ),
        )
        .options(selectinload(Assignment.submission), selectinload(Assignment.expert))
        .order_by(Assignment.due_at)
    ).all()
    experts = expert_candidates(association)
    ids = [u.id for u in experts]
    open_load = (
        dict(
            db.session.execute(
                select(Assignment.expert_id, func.count(Assignment.id))
                .join(Submission, Submission.id == Assignment.submission_id)
                .where(
                    Assignment.expert_id.in_(ids),
                    Assignment.status.in_(ACTIVE_ASSIGNMENT),
                    Submission.association_id == association.id,
                )
                .group_by(Assignment.expert_id)
            ).all()
        )
        if ids
        else {}
    )
    done = (
        dict(
            db.session.execute(
                select(Review.expert_id, func.count(Review.id))
                .join(Submission, Submission.id == Review.submission_id)
                .where(Review.expert_id.in_(ids), Submission.association_id == association.id)
                .group_by(Review.expert_id)
            ).all()
        )
        if ids
        else {}
    )
    load = sorted(
        ((u, open_load.get(u.id, 0), done.get(u.id, 0)) for u in experts),
        key=lambda t: (-t[1], t[0].full_name),
    )
    spans = db.session.execute(
        select(Submission.submitted_at, Submission.decided_at).where(
            Submission.association_id == association.id,
            Submission.state.in_(("recommended", "not_recommended")),
            Submission.submitted_at.is_not(None),
            Submission.decided_at.is_not(None),
        )
    ).all()
    days = [(d - s).total_seconds() / 86400 for s, d in spans]
    rereview = db.session.scalars(
        select(Submission).where(
            Submission.association_id == association.id,
            Submission.state == "recommended",
            Submission.rereview_due <= site_date(now),
        )
    ).all()
    return {
        "by_state": by_state,
        "overdue": overdue,
        "load": load,
        "median_days": statistics.median(days) if days else None,
        "decided": len(days),
        "rereview": rereview,
    }


def criterion_means(sub: Submission) -> list[tuple[str, float, int]]:
    """Mean score per criterion over the reviews of the last round: (title, mean, scale)."""
    rows = db.session.execute(
        select(Score.title, Score.position, func.avg(Score.score), func.max(Score.scale_max))
        .join(Review, Review.id == Score.review_id)
        .where(Review.submission_id == sub.id, Review.round == sub.round)
        .group_by(Score.title, Score.position)
        .order_by(Score.position)
    ).all()
    return [(t, float(m), int(s)) for t, _p, m, s in rows]
