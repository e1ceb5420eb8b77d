"""The expertise plugin's services, split by what they do: rubric (the workflow's vocabulary,
settings and rubrics), access (who may read what), library (its search condition), workflow
(steps, transitions, publication, certificates), experts (candidates, conflicts,
suggestions, assignments, reviews), balance (bids and balanced assignment), discussion
(the reviewers' thread and the meta-review) and figures (reminders, the coordinators' dashboard).
Everything is re-exported here: callers use ``services.X``.
"""

from __future__ import annotations

from core.api import CATEGORY_LABELS  # noqa: F401 - re-exported for templates and forms
from plugins.expertise.services.access import (  # noqa: F401 - the package's API
    _load_assignment,
    active_assignment,
    can_read_confidential,
    can_read_review,
    can_view,
    coordinates,
    is_author,
    reviewer_shown,
    round_decided,
)
from plugins.expertise.services.balance import (  # noqa: F401 - the package's API
    AWAITING,
    BIDS,
    PARTS,
    Proposal,
    bid_materials,
    bids_for,
    confirm,
    propose,
    set_bid,
)
from plugins.expertise.services.discussion import (  # noqa: F401 - the package's API
    can_read_meta,
    discussion,
    discussion_rounds,
    may_write_meta,
    meta_reviews,
    post_discussion,
    save_meta,
)
from plugins.expertise.services.experts import (  # noqa: F401 - the package's API
    Suggestion,
    assign,
    conflict_reason,
    declare_conflict,
    expert_candidates,
    is_expert,
    respond,
    save_review,
    suggestions,
)
from plugins.expertise.services.figures import (  # noqa: F401 - the package's API
    REMIND_BEFORE,
    criterion_means,
    dashboard,
    run_reminders,
)
from plugins.expertise.services.library import library_match  # noqa: F401 - the API
from plugins.expertise.services.rubric import (  # noqa: F401 - the package's API
    _A,
    _S,
    ACTIVE_ASSIGNMENT,
    ASSIGNMENT_STATUS,
    DECIDED,
    DECISION_ACTIONS,
    DEFAULT_CRITERIA,
    DEFAULT_LEVELS,
    FINAL,
    IDENTITY,
    LANGUAGES,
    MATERIAL_TYPES,
    PLUGIN,
    RECOMMENDATIONS,
    STATES,
    TRANSITIONS,
    Step,
    WorkflowError,
    _load_settings,
    _memo,
    compute_total,
    default_rubric,
    editable_rubric,
    forget,
    resize_levels,
    rubric_in_use,
    settings_for,
)
from plugins.expertise.services.workflow import (  # noqa: F401 - the package's API
    _close_open_assignments,
    _notify_transition,
    _people,
    _round_experts,
    _url,
    allowed_actions,
    material_certificate,
    publish,
    rereview_due,
    review_certificate,
    round_reviews,
    transition,
)
