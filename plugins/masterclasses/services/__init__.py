"""The master classes' services, split by what they do: access (forms of activity, who may see and
edit), registration (seats, the waitlist, status, check-in), series, calendars (feeds and
reminders) and credit (certificates, search, listings). Everything is re-exported here: callers
use ``services.X``.
"""

from __future__ import annotations

from core.api import CATEGORY_LABELS  # noqa: F401 - re-exported for templates and forms
from plugins.masterclasses.services.access import (  # noqa: F401 - the package's API
    ATTENDANCE_LABELS,
    CHECKIN_EARLY,
    DELIVERY_LABELS,
    FORMS,
    LATE_AFTER,
    MAX_OCCURRENCES,
    PLUGIN,
    STATUS_LABELS,
    TRANSITIONS,
    VISIBILITY_LABELS,
    T,
    _authenticated,
    _managed_ids,
    _parents,
    ancestors_or_self,
    can_edit,
    can_view,
    form_choices,
    form_label,
    is_host,
    may_create,
    visibility_of,
    visible_bound,
    visible_clause,
    visible_shape,
)
from plugins.masterclasses.services.calendars import (  # noqa: F401 - the package's API
    can_see_link,
    event_uid,
    existing_feed_token,
    ics_attachment,
    reminder_offsets,
    reset_feed_token,
    send_confirmation,
    send_reminders,
    to_ics,
    user_by_feed_token,
)
from plugins.masterclasses.services.credit import (  # noqa: F401 - the package's API
    certificate_role,
    existing_certificate,
    issue_certificate,
    search_events,
    source_key,
    upcoming_for,
)
from plugins.masterclasses.services.questions import (  # noqa: F401, E402 - the package's API
    answers_by_registration,
    message_log,
    questions_of,
    read_answers,
    save_answers,
    send_message,
)
from plugins.masterclasses.services.recurrence import (  # noqa: F401, E402 - the package's API
    FREQUENCY_LABELS,
    POSITION_LABELS,
    WEEKDAY_LABELS,
    WEEKDAYS,
    Choice,
    build_rule,
    describe,
    parse_rule,
    reschedule,
)
from plugins.masterclasses.services.registration import (  # noqa: F401 - the package's API
    NotInAudience,
    RegistrationClosed,
    _active_people,
    _enrol,
    _promote,
    allowed_transitions,
    audience_gaps,
    cancel,
    change_status,
    check_in,
    checkin_window,
    confirm_offer,
    event_path,
    expire_offers,
    has_ended,
    new_checkin_code,
    notify_moved,
    participants,
    promote,
    register,
    registration_of,
    registration_open,
    seats_taken,
    waitlist_position,
    with_locked_event,
)
from plugins.masterclasses.services.series import (  # noqa: F401 - the package's API
    COPIED_FIELDS,
    BadRule,
    clone_event,
    copy_questions,
    create_series,
    following_occurrences,
    materialise,
    occurrences,
)
from plugins.masterclasses.services.tickets import (  # noqa: F401, E402 - the package's API
    clean_code,
    ensure_ticket_code,
    host_check_in,
    new_ticket_code,
    qr_svg,
    registration_by_code,
    show_code,
)
