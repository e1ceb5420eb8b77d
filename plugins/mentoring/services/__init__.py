"""The mentoring services, split by what they do: roles (the pair states and who is who), matching
(candidates, proposals, confirming under capacity), pairs (the state machine, meetings,
observations, certificates) and figures (report figures and labels). Everything is re-exported
here: callers use ``services.X``.
"""

from __future__ import annotations

from core.api import CATEGORY_LABELS  # noqa: F401 - re-exported for templates and forms
from plugins.mentoring.services.figures import (  # noqa: F401 - the package's API
    PairFigures,
    ProgrammeFigures,
    add_meeting,
    add_observation,
    area_labels,
    meetings_and_observations_writable,
    months_worked,
    observed_user_id,
    pairs_of,
    programme_figures,
    reason_text,
    set_coordinators,
)
from plugins.mentoring.services.matching_service import (  # noqa: F401 - the package's API
    PROPOSAL_OPTIONS,
    REJECT_REASONS,
    ConfirmResult,
    Proposal,
    _begin_write_transaction,
    approved_mentors,
    confirm,
    mentor_candidate,
    novice_candidate,
    novices,
    open_loads,
    propose,
    ranked_mentors,
    taken_novice_ids,
    unmatched_novices,
)
from plugins.mentoring.services.pairs import (  # noqa: F401 - the package's API
    _pair_update_title,
    allowed_actions,
    find_mentor_certificate,
    may_do,
    meeting_hours,
    mentor_certificate,
    programme_coordinators,
    transition,
    waiting_for_answer,
)
from plugins.mentoring.services.roles import (  # noqa: F401 - the package's API
    ACTION_LABELS,
    AREAS,
    GOAL_CLOSED,
    GOAL_STATUSES,
    LANGUAGES,
    OPEN_STATES,
    STATE_LABELS,
    TRANSITIONS,
    WORKING_STATES,
    Transition,
    TransitionError,
    _authenticated,
    is_coordinator,
    may_view_pair,
    may_view_programme,
    meets_rules,
    side_of,
)
