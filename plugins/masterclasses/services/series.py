"""Series of events from a recurrence rule, and their occurrences."""

from __future__ import annotations

import datetime as dt

from dateutil.rrule import rrulestr
from sqlalchemy import select

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    db,
    from_local,
)
from plugins.masterclasses.models import (
    Event,
    Question,
    Series,
    Status,
)
from plugins.masterclasses.services.access import (
    MAX_OCCURRENCES,
)
from plugins.masterclasses.services.questions import questions_of
from plugins.masterclasses.services.registration import (
    new_checkin_code,
)


class BadRule(ValueError):
    pass


def occurrences(
    rule: str, first_local: dt.datetime, until: dt.date | None, count: int | None = None
) -> list[dt.datetime]:
    """Local start times of a recurrence rule from ``first_local`` up to ``until`` (a site
    date, inclusive) or the first ``count`` of them.

    The rule is applied in the site's local time, so "18:00 every other Thursday" stays 18:00.
    Raises :class:`BadRule` for an invalid rule or one giving no or too many dates.
    """
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if "UNTIL" in text.upper() or "COUNT" in text.upper():
        raise BadRule("until")
    try:
        rr = rrulestr(text, dtstart=first_local)
    except (ValueError, TypeError) as exc:
        raise BadRule(str(exc)) from exc
    if until is None and not count:
        raise BadRule("no end")
    end = dt.datetime.combine(until, dt.time(23, 59, 59)) if until else None
    if count and count > MAX_OCCURRENCES:
        raise BadRule("too many")
    out: list[dt.datetime] = []
    for when in rr:
        if end is not None and when > end:
            break
        out.append(when)
        if len(out) > MAX_OCCURRENCES:
            raise BadRule("too many")
        if count and len(out) >= count:
            break
    if not out:
        raise BadRule("empty")
    return out


def create_series(
    template: Event,
    rule: str,
    until: dt.date | None,
    first_local: dt.datetime,
    count: int | None = None,
) -> list[Event]:
    """Materialise ``template`` (not yet added) as one event per occurrence. Caller commits."""
    starts = occurrences(rule, first_local, until, count)
    series = Series(
        association_id=template.association_id,
        rrule=rule.strip(),
        first_local=first_local,
        until_local=starts[-1].date(),
    )
    db.session.add(series)
    return materialise(template, series, starts)


def materialise(
    template: Event,
    series: Series,
    starts: list[dt.datetime],
    questions: list[Question] | None = None,
) -> list[Event]:
    """One new event (a copy of ``template``) of ``series`` per local start, each with its own
    copies of the template's registration questions (``questions``, read from a saved
    template when not given). Caller commits."""
    if questions is None:
        questions = questions_of(template) if template.id is not None else []
    duration = template.ends_at - template.starts_at
    opens_delta = (
        template.starts_at - template.registration_opens_at
        if template.registration_opens_at
        else None
    )
    deadline_delta = (
        template.starts_at - template.registration_deadline
        if template.registration_deadline
        else None
    )
    events = []
    for local_start in starts:
        start = from_local(local_start)
        ev = clone_event(template)
        ev.series = series
        ev.starts_at = start
        ev.ends_at = start + duration
        ev.registration_opens_at = start - opens_delta if opens_delta is not None else None
        ev.registration_deadline = start - deadline_delta if deadline_delta is not None else None
        ev.checkin_code = new_checkin_code()
        db.session.add(ev)
        events.append(ev)
    if questions:
        db.session.flush()  # the new events' ids
        for ev in events:
            copy_questions(questions, ev)
    return events


QUESTION_FIELDS = ("position", "label", "kind", "options", "required")


def copy_questions(questions: list[Question], event: Event) -> list[Question]:
    """Copies of ``questions`` (text, kind, choices, required, order) for ``event``: rows of its
    own, so editing one occurrence's questions later leaves the others alone. Caller
    commits."""
    copies = [
        Question(event_id=event.id, **{f: getattr(q, f) for f in QUESTION_FIELDS})
        for q in questions
    ]
    db.session.add_all(copies)
    return copies


COPIED_FIELDS = (
    "association_id",
    "title",
    "form",
    "description",
    "target_categories",
    "min_experience",
    "max_experience",
    "delivery",
    "venue",
    "address",
    "meeting_url",
    "capacity",
    "credit_hours",
    "visibility",
    "shared_checkin",
    "enforce_audience",
    "confirm_hours",
    "status",
    "created_by_id",
)


def clone_event(template: Event) -> Event:
    ev = Event(**{f: getattr(template, f) for f in COPIED_FIELDS})
    ev.subjects = list(template.subjects)
    from plugins.masterclasses.models import Host as _Host

    ev.hosts = [_Host(user_id=h.user_id, name=h.name) for h in template.hosts]
    return ev


def following_occurrences(event: Event) -> list[Event]:
    """This occurrence and the later ones of its series that may still change."""
    if event.series_id is None:
        return [event]
    return list(
        db.session.scalars(
            select(Event)
            .where(
                Event.series_id == event.series_id,
                Event.starts_at >= event.starts_at,
                Event.status.in_([Status.DRAFT, Status.PUBLISHED, Status.CLOSED, Status.POSTPONED]),
            )
            .order_by(Event.starts_at)
        )
    )
