"""The vocabulary of the workflow and each association's settings and rubrics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Association,
    Language,
    db,
)
from plugins.expertise.models import (
    AssignmentStatus,
    Criterion,
    MaterialType,
    Recommendation,
    ReviewerIdentity,
    Rubric,
    Settings,
    Submission,
    SubmissionState,
    WorkflowAction,
)

PLUGIN = "expertise"


MATERIAL_TYPES: dict[str, Any] = {
    MaterialType.LESSON_PLAN: _l("Short-term (lesson) plan"),
    MaterialType.MEDIUM_TERM_PLAN: _l("Medium-term plan"),
    MaterialType.METHOD_RECOMMENDATION: _l("Methodological recommendation"),
    MaterialType.SUMMATIVE_TASKS: _l("Summative assessment tasks for a unit or term"),
    MaterialType.TEACHING_KIT: _l("Teaching kit"),
    MaterialType.AUTHOR_PROGRAMME: _l("Author programme"),
    MaterialType.ELECTIVE_PROGRAMME: _l("Elective course programme"),
    MaterialType.DIDACTIC_MATERIALS: _l("Didactic materials"),
    MaterialType.EVENT_SCENARIO: _l("Extracurricular event scenario"),
}


LANGUAGES: dict[str, Any] = {
    Language.KK: _l("Kazakh"),
    Language.RU: _l("Russian"),
    Language.EN: _l("English"),
}


STATES: dict[str, Any] = {
    SubmissionState.DRAFT: _l("Draft"),
    SubmissionState.SUBMITTED: _l("Submitted"),
    SubmissionState.SCREENING: _l("Screening"),
    SubmissionState.RETURNED: _l("Returned to the author"),
    SubmissionState.IN_REVIEW: _l("In review"),
    SubmissionState.MINOR_REVISION: _l("Minor revision"),
    SubmissionState.MAJOR_REVISION: _l("Major revision"),
    SubmissionState.RECOMMENDED: _l("Recommended"),
    SubmissionState.NOT_RECOMMENDED: _l("Not recommended"),
    SubmissionState.WITHDRAWN: _l("Withdrawn"),
}


RECOMMENDATIONS: dict[str, Any] = {
    Recommendation.RECOMMENDED: _l("Recommend"),
    Recommendation.MINOR_REVISION: _l("Minor revision"),
    Recommendation.MAJOR_REVISION: _l("Major revision"),
    Recommendation.NOT_RECOMMENDED: _l("Do not recommend"),
}


ASSIGNMENT_STATUS: dict[str, Any] = {
    AssignmentStatus.INVITED: _l("invited"),
    AssignmentStatus.ACCEPTED: _l("accepted"),
    AssignmentStatus.DECLINED: _l("declined"),
    AssignmentStatus.EXPIRED: _l("no answer"),
    AssignmentStatus.REMOVED: _l("removed"),
    AssignmentStatus.DONE: _l("review submitted"),
}


IDENTITY: dict[str, Any] = {
    ReviewerIdentity.NAMED: _l("Reviewers are named"),
    ReviewerIdentity.ANONYMOUS_UNTIL_DECISION: _l("Reviewers are anonymous until the decision"),
    ReviewerIdentity.ANONYMOUS: _l("Reviewers stay anonymous"),
}


#: States in which a decision on the current round has been taken.
DECIDED = frozenset(
    {
        SubmissionState.MINOR_REVISION,
        SubmissionState.MAJOR_REVISION,
        SubmissionState.RECOMMENDED,
        SubmissionState.NOT_RECOMMENDED,
    }
)


FINAL = frozenset(
    {SubmissionState.RECOMMENDED, SubmissionState.NOT_RECOMMENDED, SubmissionState.WITHDRAWN}
)


ACTIVE_ASSIGNMENT = (AssignmentStatus.INVITED, AssignmentStatus.ACCEPTED)


@dataclass(frozen=True)
class Step:
    to: str
    who: str  # "author" (author or co-author) | "coordinator"
    label: Any
    needs_note: bool = False


_S, _A = SubmissionState, WorkflowAction


#: The workflow: (state, action) -> step. Nothing else changes a submission's state.
TRANSITIONS: dict[tuple[str, str], Step] = {
    (_S.DRAFT, _A.SUBMIT): Step(_S.SUBMITTED, "author", _l("Submit for review")),
    (_S.RETURNED, _A.SUBMIT): Step(_S.SUBMITTED, "author", _l("Submit again")),
    (_S.SUBMITTED, _A.SCREEN): Step(_S.SCREENING, "coordinator", _l("Start screening")),
    (_S.SCREENING, _A.RETURN): Step(_S.RETURNED, "coordinator", _l("Return to the author"), True),
    (_S.SCREENING, _A.ACCEPT): Step(_S.IN_REVIEW, "coordinator", _l("Send to review")),
    (_S.IN_REVIEW, _A.RECOMMEND): Step(_S.RECOMMENDED, "coordinator", _l("Recommend")),
    (_S.IN_REVIEW, _A.MINOR): Step(
        _S.MINOR_REVISION, "coordinator", _l("Ask for a minor revision")
    ),
    (_S.IN_REVIEW, _A.MAJOR): Step(
        _S.MAJOR_REVISION, "coordinator", _l("Ask for a major revision")
    ),
    (_S.IN_REVIEW, _A.REJECT): Step(_S.NOT_RECOMMENDED, "coordinator", _l("Do not recommend")),
    (_S.MINOR_REVISION, _A.RESUBMIT): Step(_S.IN_REVIEW, "author", _l("Resubmit")),
    (_S.RECOMMENDED, _A.REREVIEW): Step(_S.IN_REVIEW, "coordinator", _l("Start re-review")),
    (_S.MAJOR_REVISION, _A.RESUBMIT): Step(_S.IN_REVIEW, "author", _l("Resubmit")),
}


for _state in (
    _S.DRAFT,
    _S.SUBMITTED,
    _S.SCREENING,
    _S.RETURNED,
    _S.IN_REVIEW,
    _S.MINOR_REVISION,
    _S.MAJOR_REVISION,
):
    TRANSITIONS[(_state, _A.WITHDRAW)] = Step(_S.WITHDRAWN, "author", _l("Withdraw"))


DECISION_ACTIONS = (
    WorkflowAction.RECOMMEND,
    WorkflowAction.MINOR,
    WorkflowAction.MAJOR,
    WorkflowAction.REJECT,
)


class WorkflowError(Exception):
    """A refused action; ``str(exc)`` is a message for the user (translated lazily)."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


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
            reviewer_identity=ReviewerIdentity.NAMED,
            hide_until_decision=False,
            respond_days=5,
            review_days=21,
            rereview_years=3,
            review_hours=2.0,
            load_cap=3,
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
