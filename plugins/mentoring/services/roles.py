"""The pair's states and transitions, and who is who in a programme and a pair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Language,
    User,
    permissions,
)
from plugins.mentoring.models import (
    GoalStatus,
    Pair,
    PairState,
    Programme,
)

#: Areas of professional practice: a mentor's strengths and a novice's needs use the same list.
AREAS: dict[str, Any] = {
    "assessment": _l("Assessment (incl. early assessment of pupils' levels)"),
    "critical_thinking": _l("Developing critical thinking"),
    "ict": _l("ICT competence"),
    "classroom_management": _l("Classroom management"),
    "inclusive": _l("Inclusive education"),
    "subject_methods": _l("Subject teaching methods"),
    "lesson_planning": _l("Lesson planning"),
    "parents": _l("Work with parents"),
}


#: Languages of instruction.
LANGUAGES: dict[str, Any] = {
    Language.KK: _l("Kazakh"),
    Language.RU: _l("Russian"),
    Language.EN: _l("English"),
}


GOAL_STATUSES: dict[str, Any] = {
    GoalStatus.PLANNED: _l("planned"),
    GoalStatus.IN_PROGRESS: _l("in progress"),
    GoalStatus.DONE: _l("achieved"),
    GoalStatus.DROPPED: _l("dropped"),
}


GOAL_CLOSED = (GoalStatus.DONE, GoalStatus.DROPPED)


STATE_LABELS: dict[str, Any] = {
    PairState.PROPOSED: _l("proposed"),
    PairState.ACTIVE: _l("active"),
    PairState.PAUSED: _l("paused"),
    PairState.COMPLETED: _l("completed"),
    PairState.ENDED: _l("ended early"),
    PairState.DECLINED: _l("declined"),
}


#: States in which a pair holds one of the mentor's places and the novice is taken.
OPEN_STATES = (PairState.PROPOSED, PairState.ACTIVE, PairState.PAUSED)


#: States in which the pair's plan, meetings and observations can still be written.
WORKING_STATES = (PairState.ACTIVE, PairState.PAUSED)


@dataclass(frozen=True)
class Transition:
    """``action`` moves a pair from one of ``sources`` to ``target`` when ``who`` allows.

    ``who``: ``"self"`` (mentor or novice, each acting only for their own side),
    ``"party"`` (mentor or novice), ``"party_or_coordinator"``, ``"mentor_or_coordinator"``.
    ``accept`` has no fixed target: the pair becomes active once both sides have accepted.
    """

    sources: tuple[str, ...]
    target: str | None
    who: str
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    "accept": Transition((PairState.PROPOSED,), None, "self"),
    "decline": Transition((PairState.PROPOSED,), PairState.DECLINED, "party"),
    "pause": Transition((PairState.ACTIVE,), PairState.PAUSED, "party_or_coordinator"),
    "resume": Transition((PairState.PAUSED,), PairState.ACTIVE, "party_or_coordinator"),
    "complete": Transition(
        (PairState.ACTIVE, PairState.PAUSED), PairState.COMPLETED, "mentor_or_coordinator"
    ),
    "end": Transition(
        (PairState.PROPOSED, PairState.ACTIVE, PairState.PAUSED),
        PairState.ENDED,
        "party_or_coordinator",
        True,
    ),
}


ACTION_LABELS: dict[str, Any] = {
    "accept": _l("Accept"),
    "decline": _l("Decline"),
    "pause": _l("Pause"),
    "resume": _l("Resume"),
    "complete": _l("Complete"),
    "end": _l("End early"),
}


class TransitionError(Exception):
    """The action is not allowed now (wrong state) or not for this user."""


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_coordinator(user: Any, programme: Programme) -> bool:
    """The association's leaders and coordinators (and administrators over it), plus the
    programme's named coordinators."""
    if not _authenticated(user):
        return False
    if permissions.manages(user, programme.association):
        return True
    return any(c.user_id == user.id for c in programme.coordinators)


def may_view_programme(user: Any, programme: Programme) -> bool:
    return _authenticated(user) and (
        permissions.is_member(user, programme.association) or is_coordinator(user, programme)
    )


def side_of(user: Any, pair: Pair) -> str | None:
    """``"mentor"``, ``"novice"`` or None for someone outside the pair."""
    if not _authenticated(user):
        return None
    if pair.mentor.user_id == user.id:
        return "mentor"
    if pair.novice.user_id == user.id:
        return "novice"
    return None


def may_view_pair(user: Any, pair: Pair) -> bool:
    """The pair's plan, meetings and observations: the two people and the coordinators only."""
    return side_of(user, pair) is not None or is_coordinator(user, pair.programme)


def meets_rules(user: User, programme: Programme) -> bool:
    """Whether a member can enrol as a mentor without a coordinator's approval."""
    return user.category_enum.rank >= programme.min_category_enum.rank
