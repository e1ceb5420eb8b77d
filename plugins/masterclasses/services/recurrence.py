"""The recurrence builder: RRULE text from a few choices (frequency, interval, weekdays, "the
last Friday", "the second Tuesday"), the reverse for editing, a description in the reader's
language, and changing a series' rule for its future occurrences only.

As in pretix's series form, the builder produces an RFC 5545 RRULE without UNTIL or COUNT: the
end (a site date or a number of dates) is kept beside it. The dates themselves come from
python-dateutil (``services.series.occurrences``), in the site's local time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.api import db, from_local, to_local
from plugins.masterclasses.models import Event, Registration, RegStatus, Series, Status
from plugins.masterclasses.services.questions import questions_of
from plugins.masterclasses.services.registration import change_status, notify_moved
from plugins.masterclasses.services.series import materialise, occurrences

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

WEEKDAY_LABELS = {
    "MO": _l("Monday"),
    "TU": _l("Tuesday"),
    "WE": _l("Wednesday"),
    "TH": _l("Thursday"),
    "FR": _l("Friday"),
    "SA": _l("Saturday"),
    "SU": _l("Sunday"),
}

#: BYSETPOS values the builder offers, with their words.
POSITION_LABELS = {
    "1": _l("first"),
    "2": _l("second"),
    "3": _l("third"),
    "4": _l("fourth"),
    "-1": _l("last"),
}

#: "The last Friday" and the like: one phrase each, so that languages can inflect it.
NTH_WEEKDAY_LABELS = {
    ("1", "MO"): _l("the first Monday"),
    ("1", "TU"): _l("the first Tuesday"),
    ("1", "WE"): _l("the first Wednesday"),
    ("1", "TH"): _l("the first Thursday"),
    ("1", "FR"): _l("the first Friday"),
    ("1", "SA"): _l("the first Saturday"),
    ("1", "SU"): _l("the first Sunday"),
    ("2", "MO"): _l("the second Monday"),
    ("2", "TU"): _l("the second Tuesday"),
    ("2", "WE"): _l("the second Wednesday"),
    ("2", "TH"): _l("the second Thursday"),
    ("2", "FR"): _l("the second Friday"),
    ("2", "SA"): _l("the second Saturday"),
    ("2", "SU"): _l("the second Sunday"),
    ("3", "MO"): _l("the third Monday"),
    ("3", "TU"): _l("the third Tuesday"),
    ("3", "WE"): _l("the third Wednesday"),
    ("3", "TH"): _l("the third Thursday"),
    ("3", "FR"): _l("the third Friday"),
    ("3", "SA"): _l("the third Saturday"),
    ("3", "SU"): _l("the third Sunday"),
    ("4", "MO"): _l("the fourth Monday"),
    ("4", "TU"): _l("the fourth Tuesday"),
    ("4", "WE"): _l("the fourth Wednesday"),
    ("4", "TH"): _l("the fourth Thursday"),
    ("4", "FR"): _l("the fourth Friday"),
    ("4", "SA"): _l("the fourth Saturday"),
    ("4", "SU"): _l("the fourth Sunday"),
    ("-1", "MO"): _l("the last Monday"),
    ("-1", "TU"): _l("the last Tuesday"),
    ("-1", "WE"): _l("the last Wednesday"),
    ("-1", "TH"): _l("the last Thursday"),
    ("-1", "FR"): _l("the last Friday"),
    ("-1", "SA"): _l("the last Saturday"),
    ("-1", "SU"): _l("the last Sunday"),
}


FREQUENCY_LABELS = {
    "": _l("Does not repeat"),
    "DAILY": _l("Daily"),
    "WEEKLY": _l("Weekly"),
    "MONTHLY": _l("Monthly"),
    "custom": _l("Advanced: a recurrence rule (RRULE)"),
}


@dataclasses.dataclass
class Choice:
    """What the builder's fields say. ``monthly`` is "day" (the day of the month of the first
    date) or "weekday" (the ``position``-th ``weekday`` of the month)."""

    freq: str = ""
    interval: int = 1
    weekdays: list[str] = dataclasses.field(default_factory=list)
    monthly: str = "day"
    position: str = "1"
    weekday: str = "MO"


def build_rule(choice: Choice) -> str:
    """The RRULE text of ``choice`` (empty when it does not repeat)."""
    if choice.freq not in ("DAILY", "WEEKLY", "MONTHLY"):
        return ""
    parts = [f"FREQ={choice.freq}"]
    if choice.interval and choice.interval > 1:
        parts.append(f"INTERVAL={choice.interval}")
    if choice.freq == "WEEKLY":
        days = [d for d in WEEKDAYS if d in choice.weekdays]
        if days:
            parts.append("BYDAY=" + ",".join(days))
    elif choice.freq == "MONTHLY" and choice.monthly == "weekday":
        parts.append(f"BYDAY={choice.weekday}")
        parts.append(f"BYSETPOS={choice.position}")
    return ";".join(parts)


def parse_rule(rule: str) -> Choice | None:
    """The builder's choice for ``rule``, or None when the builder cannot show it (then the
    raw rule is edited in the advanced field)."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts: dict[str, str] = {}
    for item in text.upper().split(";"):
        if "=" not in item:
            return None
        key, _sep, value = item.partition("=")
        parts[key.strip()] = value.strip()
    choice = Choice(freq=parts.pop("FREQ", ""))
    if choice.freq not in ("DAILY", "WEEKLY", "MONTHLY"):
        return None
    interval = parts.pop("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= 99:
        return None
    choice.interval = int(interval)
    byday = parts.pop("BYDAY", "")
    setpos = parts.pop("BYSETPOS", "")
    if parts:
        return None
    if choice.freq == "DAILY":
        return choice if not byday and not setpos else None
    if choice.freq == "WEEKLY":
        days = [d for d in byday.split(",") if d] if byday else []
        if setpos or any(d not in WEEKDAYS for d in days):
            return None
        choice.weekdays = days
        return choice
    if not byday:
        return choice if not setpos else None
    # MONTHLY with "the n-th weekday": BYDAY=FR;BYSETPOS=-1 or BYDAY=-1FR.
    if not setpos and len(byday) > 2 and byday[-2:] in WEEKDAYS:
        setpos, byday = byday[:-2].lstrip("+"), byday[-2:]
    if byday not in WEEKDAYS or setpos not in POSITION_LABELS:
        return None
    choice.monthly, choice.weekday, choice.position = "weekday", byday, setpos
    return choice


def describe(rule: str, first_local: dt.datetime | None = None) -> str:
    """The rule in the reader's language ("Every 2 weeks on Monday, Thursday")."""
    choice = parse_rule(rule) if rule else None
    if choice is None:
        return rule
    n = choice.interval
    if choice.freq == "DAILY":
        return _("Every day") if n == 1 else _("Every %(n)s days", n=n)
    if choice.freq == "WEEKLY":
        days = choice.weekdays or ([WEEKDAYS[first_local.weekday()]] if first_local else [])
        names = ", ".join(str(WEEKDAY_LABELS[d]) for d in days)
        if n == 1:
            return _("Every week on %(days)s", days=names)
        return _("Every %(n)s weeks on %(days)s", n=n, days=names)
    if choice.monthly == "weekday":
        when = str(NTH_WEEKDAY_LABELS[(choice.position, choice.weekday)])
        if n == 1:
            return _("Every month: %(when)s", when=when)
        return _("Every %(n)s months: %(when)s", n=n, when=when)
    day_of_month = first_local.day if first_local else 1
    if n == 1:
        return _("Every month on day %(day)s", day=day_of_month)
    return _("Every %(n)s months on day %(day)s", n=n, day=day_of_month)


#: Occurrences a rule change may move, cancel or replace.
CHANGEABLE = (Status.DRAFT, Status.PUBLISHED, Status.CLOSED, Status.POSTPONED)


@dataclasses.dataclass
class Outcome:
    kept: int = 0
    moved: int = 0
    created: int = 0
    cancelled: int = 0
    removed: int = 0


def _has_people(event: Event) -> bool:
    return (
        db.session.scalar(
            select(Registration.id)
            .where(
                Registration.event_id == event.id,
                Registration.status.in_([RegStatus.REGISTERED, RegStatus.WAITLISTED]),
            )
            .limit(1)
        )
        is not None
    )


def reschedule(
    series: Series,
    template: Event,
    rule: str,
    first_local: dt.datetime,
    until: dt.date | None,
    count: int | None,
    actor,
    now: dt.datetime,
) -> Outcome:
    """Apply a new rule from ``first_local`` (local, after ``now``) to the series' future
    occurrences; past ones, and their registrations and attendance, are not touched.

    A future occurrence on a day the new rule keeps stays (with its registrations) and moves
    to the new time if that changed; one on a day the new rule drops is cancelled (its people
    are told) or, when nobody registered for a draft, removed; days without an occurrence get
    a copy of ``template``, with copies of its registration questions. Caller commits.
    """
    starts = occurrences(rule, first_local, until, count)
    # Read before anything is removed: the template may be a draft on a day the rule drops.
    questions = questions_of(template) if template.id is not None else []
    future = list(
        db.session.scalars(
            select(Event)
            .where(
                Event.series_id == series.id,
                Event.starts_at > now,
                Event.status.in_(CHANGEABLE),
            )
            .order_by(Event.starts_at)
        )
    )
    by_day: dict[dt.date, Event] = {}
    for ev in future:
        by_day.setdefault(to_local(ev.starts_at).date(), ev)
    out = Outcome()
    fresh: list[dt.datetime] = []
    kept_ids: set[int] = set()
    for local_start in starts:
        ev = by_day.pop(local_start.date(), None)
        if ev is None:
            fresh.append(local_start)
            continue
        kept_ids.add(ev.id)
        new_start = from_local(local_start)
        if new_start == ev.starts_at:
            out.kept += 1
            continue
        shift = new_start - ev.starts_at
        ev.starts_at += shift
        ev.ends_at += shift
        if ev.registration_opens_at:
            ev.registration_opens_at += shift
        if ev.registration_deadline:
            ev.registration_deadline += shift
        ev.sequence += 1
        notify_moved(ev)
        out.moved += 1
    for ev in future:
        if ev.id in kept_ids:
            continue
        if ev.status == Status.DRAFT and not _has_people(ev):
            db.session.delete(ev)
            out.removed += 1
        else:
            change_status(ev, "cancel", actor)
            out.cancelled += 1
    if fresh:
        made = materialise(template, series, fresh, questions)
        status = Status.DRAFT if template.status == Status.DRAFT else Status.PUBLISHED
        for ev in made:
            ev.status = status.value
            ev.sequence = 0
        out.created = len(made)
    series.rrule = rule
    series.first_local = first_local
    series.until_local = starts[-1].date()
    return out
