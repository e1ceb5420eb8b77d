"""Meetings of a pair: planned ahead with an invitation (.ics) and a reminder, then recorded as
held (an entry of the meeting log); the dates the log accepts; the history of edits and
deletions of meetings, goals and observations."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as IEvent
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import (
    User,
    db,
    multi_line,
    notifications,
    plugin_gate,
    single_line,
    site_date,
    site_request_context,
    to_local,
    utcnow,
)
from plugins.mentoring.models import (
    Change,
    Meeting,
    MeetingStatus,
    MentorProfile,
    NoviceRequest,
    Pair,
    PairState,
)
from plugins.mentoring.services.roles import WORKING_STATES, is_coordinator, side_of

#: a reminder goes out this long before a planned meeting starts
REMIND_BEFORE = dt.timedelta(hours=24)


# --- the dates a meeting may have -------------------------------------------------------------


def pair_start_day(pair: Pair) -> dt.date | None:
    """The site day the pair began (both accepted), or None while it has not."""
    return site_date(pair.started_at) if pair.started_at else None


def held_day_error(pair: Pair, day: dt.date, today: dt.date | None = None) -> str | None:
    """Why ``day`` cannot be the date of a held meeting of ``pair``, or None: not before the
    pair began, not after today (the site's day), not after the pair ended."""
    today = today or site_date()
    start = pair_start_day(pair)
    if start is None:
        return _("The pair has not started yet.")
    if day < start:
        return _(
            "The pair began on %(date)s: a meeting cannot be earlier.",
            date=start.strftime("%d.%m.%Y"),
        )
    if day > today:
        return _("A meeting in the log cannot be in the future.")
    if pair.finished_at and day > site_date(pair.finished_at):
        return _("The pair had ended by then.")
    return None


def planned_start_error(pair: Pair, starts_at: dt.datetime, now: dt.datetime | None = None):
    """Why a meeting cannot be planned to start at ``starts_at`` (naive UTC), or None."""
    now = now or utcnow()
    if starts_at <= now:
        return _("A planned meeting must be in the future.")
    return None


def in_log(pair: Pair, meeting: Meeting, today: dt.date) -> bool:
    """Whether a held meeting counts in figures: on a day from the pair's start to its end
    (or today). Rows written before the log checked dates may lie outside."""
    start = pair_start_day(pair)
    if start is None or meeting.held_on < start or meeting.held_on > today:
        return False
    return not (pair.finished_at and meeting.held_on > site_date(pair.finished_at))


def counted_meetings(pair: Pair, today: dt.date | None = None) -> list[Meeting]:
    today = today or site_date()
    return [m for m in pair.meetings if in_log(pair, m, today)]


# --- history ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return to_local(value).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return value


def record_change(
    pair: Pair, kind: str, obj: Any, action: str, user: User, before: dict, now=None
) -> Change | None:
    """Log the fields of ``obj`` that differ from ``before`` (every field for a deletion)."""
    diff = {
        k: [_plain(v), _plain(getattr(obj, k))]
        for k, v in before.items()
        if v != getattr(obj, k) or action == "delete"
    }
    if not diff and action == "edit":
        return None
    row = Change(
        pair_id=pair.id,
        kind=kind,
        object_id=obj.id,
        action=action,
        changes=json.dumps(diff, ensure_ascii=False),
        author_id=user.id,
        created_at=now or utcnow(),
    )
    db.session.add(row)
    return row


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict:
    return {f: getattr(obj, f) for f in fields}


def history(pair: Pair) -> list[Change]:
    return list(
        db.session.scalars(
            select(Change)
            .where(Change.pair_id == pair.id)
            .options(selectinload(Change.author))
            .order_by(Change.created_at.desc(), Change.id.desc())
        )
    )


def change_fields(change: Change) -> dict:
    try:
        data = json.loads(change.changes or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


CHANGE_KINDS: dict[str, Any] = {
    "meeting": _l("meeting"),
    "goal": _l("goal"),
    "observation": _l("observation"),
}

CHANGE_ACTIONS: dict[str, Any] = {
    "edit": _l("edited"),
    "delete": _l("deleted"),
    "plan": _l("planned"),
    "reschedule": _l("rescheduled"),
    "cancel": _l("cancelled"),
    "hold": _l("recorded as held"),
}

FIELD_LABELS: dict[str, Any] = {
    "held_on": _l("Date"),
    "starts_at": _l("Starts at"),
    "duration_minutes": _l("Duration, minutes"),
    "topic": _l("Topic"),
    "notes": _l("Notes"),
    "next_steps": _l("Agreed next steps"),
    "place": _l("Place"),
    "link": _l("Meeting link"),
    "status": _l("Status"),
    "title": _l("Goal"),
    "need": _l("Linked need"),
    "target_date": _l("Target date"),
    "lesson_date": _l("Lesson date"),
    "class_name": _l("Class"),
    "lesson_topic": _l("Lesson topic"),
    "focus": _l("Focus areas"),
    "went_well": _l("What went well"),
    "to_improve": _l("What to improve"),
    "actions": _l("Agreed actions"),
}


def may_edit(user: Any, pair: Pair, obj: Any) -> bool:
    """The author edits or deletes their own entry while the pair works; a goal written
    before goals had authors may be changed by either side of the pair."""
    if pair.state not in WORKING_STATES or side_of(user, pair) is None:
        return False
    if obj.author_id is None:
        return True
    return obj.author_id == user.id


# --- planned meetings -------------------------------------------------------------------------

MEETING_FIELDS = ("held_on", "starts_at", "duration_minutes", "topic", "place", "link")


def _people(pair: Pair) -> list[User]:
    return [pair.mentor.user, pair.novice.user]


def ics_url(meeting: Meeting) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("mentoring.meeting_ics", pair_id=meeting.pair_id, meeting_id=meeting.id)


def _when(meeting: Meeting) -> str:
    local = to_local(meeting.starts_at)
    return local.strftime("%d.%m.%Y %H:%M")


def _invitation_body(meeting: Meeting, attached: bool = False):
    where = meeting.place or meeting.link
    url = ics_url(meeting)
    lines = [
        lambda: _("When: %(when)s (Astana time)", when=_when(meeting)),
        lambda: _("Where: %(where)s", where=where) if where else "",
        lambda: (
            _("The calendar file (.ics) is attached; it is also here: %(url)s", url=url)
            if attached
            else _("Calendar file (.ics): %(url)s", url=url)
        ),
    ]
    return lambda: "\n".join(x for x in (f() for f in lines) if x)


def notify_meeting(meeting: Meeting, pair: Pair, user: User, action: str, now=None) -> None:
    """Tell the other side (and, when a coordinator acts, both) about a planned, moved or
    cancelled meeting; the email carries the invitation (.ics, METHOD:REQUEST, or CANCEL for
    a cancelled one) as an attachment, and its link."""
    topic = meeting.topic
    titles = {
        "plan": lambda: _("Meeting planned: %(topic)s, %(when)s", topic=topic, when=_when(meeting)),
        "reschedule": lambda: _(
            "Meeting moved: %(topic)s, now %(when)s", topic=topic, when=_when(meeting)
        ),
        "cancel": lambda: _(
            "Meeting cancelled: %(topic)s, %(when)s", topic=topic, when=_when(meeting)
        ),
    }
    others = [u for u in _people(pair) if u.id != user.id]
    notifications.notify(
        others,
        "mentoring.meeting",
        titles[action],
        _invitation_body(meeting, attached=True),
        url=url_for("mentoring.pair", pair_id=pair.id, _anchor=f"meeting-{meeting.id}"),
        association=pair.programme.association,
        now=now,
        attachments=[ics_attachment(meeting, pair)],
    )


def plan_meeting(pair: Pair, user: User, *, starts_at, duration_minutes, topic, place, link):
    m = Meeting(
        pair_id=pair.id,
        author_id=user.id,
        status=MeetingStatus.PLANNED,
        starts_at=starts_at,
        held_on=site_date(starts_at),
        duration_minutes=duration_minutes,
        topic=topic,
        place=place,
        link=link,
        sequence=0,
    )
    db.session.add(m)
    db.session.flush()
    record_change(pair, "meeting", m, "plan", user, {})
    notify_meeting(m, pair, user, "plan")
    return m


def reschedule(pair: Pair, meeting: Meeting, user: User, **fields) -> bool:
    """Change a planned meeting; a change of time resets its reminder. The invitation's
    SEQUENCE grows with every change, so calendars replace the old one."""
    before = snapshot(meeting, MEETING_FIELDS)
    for k, v in fields.items():
        setattr(meeting, k, v)
    meeting.held_on = site_date(meeting.starts_at)
    if not record_change(pair, "meeting", meeting, "reschedule", user, before):
        return False
    if before["starts_at"] != meeting.starts_at:
        meeting.reminded_at = None
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    notify_meeting(meeting, pair, user, "reschedule")
    return True


def cancel(pair: Pair, meeting: Meeting, user: User) -> None:
    before = snapshot(meeting, ("status",))
    meeting.status = MeetingStatus.CANCELLED
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    record_change(pair, "meeting", meeting, "cancel", user, before)
    notify_meeting(meeting, pair, user, "cancel")


def record_held(pair: Pair, meeting: Meeting, user: User, **fields) -> None:
    """A planned meeting took place: it becomes an entry of the meeting log."""
    before = snapshot(meeting, ("status", "held_on", "duration_minutes", "topic"))
    for k, v in fields.items():
        setattr(meeting, k, v)
    meeting.status = MeetingStatus.HELD
    meeting.updated_at = utcnow()
    record_change(pair, "meeting", meeting, "hold", user, before)


def may_plan(user: Any, pair: Pair) -> bool:
    return pair.state == PairState.ACTIVE and side_of(user, pair) is not None


def may_see_meeting(user: Any, pair: Pair) -> bool:
    return side_of(user, pair) is not None or is_coordinator(user, pair.programme)


# --- the invitation (.ics) --------------------------------------------------------------------


def meeting_uid(meeting: Meeting) -> str:
    host = current_app.config["BASE_URL"].split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"mentoring-meeting-{meeting.id}@{host or 'qauym'}"


def _address(user: User) -> vCalAddress:
    a = vCalAddress(f"mailto:{user.email}")
    a.params["cn"] = vText(single_line(user.full_name))
    return a


def ics_method(meeting: Meeting) -> str:
    """The iTIP method of the meeting's invitation: CANCEL once cancelled, else REQUEST."""
    return "CANCEL" if meeting.status == MeetingStatus.CANCELLED else "REQUEST"


def ics_attachment(meeting: Meeting, pair: Pair) -> tuple[str, str, bytes]:
    """The invitation as an email attachment ``(filename, mimetype, bytes)``: the same file as
    the .ics link, with the method in the MIME type as RFC 6047 asks, and the charset (the
    summary is Kazakh or Russian text) as the link's Content-Type gives it."""
    return (
        f"mentoring-meeting-{meeting.id}.ics",
        f"text/calendar; method={ics_method(meeting)}; charset=utf-8",
        to_ics(meeting, pair),
    )


def to_ics(meeting: Meeting, pair: Pair) -> bytes:
    """An iTIP invitation (RFC 5546) for one meeting: METHOD:REQUEST, or METHOD:CANCEL once
    cancelled; the same UID for every version and a SEQUENCE that grows with each change;
    times in the site's zone (TZID with its VTIMEZONE)."""
    cancelled = meeting.status == MeetingStatus.CANCELLED
    cal = Calendar()
    cal.add("prodid", "-//Qauym//mentoring//KK")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", ics_method(meeting))
    item = IEvent()
    item.add("uid", meeting_uid(meeting))
    item.add("dtstamp", utcnow().replace(tzinfo=dt.UTC))
    item.add("sequence", meeting.sequence)
    item.add("dtstart", to_local(meeting.starts_at))
    item.add("dtend", to_local(meeting.ends_at))
    item.add("summary", single_line(meeting.topic))
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = meeting.author or pair.mentor.user
    item.add("organizer", _address(organizer))
    for person in _people(pair):
        attendee = _address(person)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText(
            "ACCEPTED" if person.id == organizer.id else "NEEDS-ACTION"
        )
        item.add("attendee", attendee, encode=0)
    base = current_app.config["BASE_URL"].rstrip("/")
    page = base + url_for("mentoring.pair", pair_id=pair.id)
    item.add("url", page)
    where = single_line(meeting.place) or single_line(meeting.link)
    if where:
        item.add("location", where)
    item.add("description", multi_line("\n".join(x for x in (meeting.link, page) if x)))
    cal.add_component(item)
    cal.add_missing_timezones()
    return cal.to_ical()


# --- reminders (a job) ------------------------------------------------------------------------


def send_reminders(now: dt.datetime) -> int:
    """Remind both people of a planned meeting that starts within :data:`REMIND_BEFORE`;
    once per meeting and time (a moved meeting is reminded again). Emails made in quiet
    hours wait for their end (``notify``). Returns how many meetings were reminded."""
    due = db.session.scalars(
        select(Meeting)
        .join(Pair, Pair.id == Meeting.pair_id)
        .where(
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.deleted_at.is_(None),
            Meeting.reminded_at.is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= now + REMIND_BEFORE,
            Pair.state == PairState.ACTIVE,
        )
        .options(
            selectinload(Meeting.pair).selectinload(Pair.mentor).selectinload(MentorProfile.user),
            selectinload(Meeting.pair).selectinload(Pair.novice).selectinload(NoviceRequest.user),
            selectinload(Meeting.pair).selectinload(Pair.programme),
        )
        .with_for_update(of=Meeting)
    ).all()
    sent = 0
    with site_request_context():
        for m in due:
            pair = m.pair
            if not plugin_gate.is_enabled("mentoring", pair.programme.association_id):
                continue
            notifications.notify(
                _people(pair),
                "mentoring.meeting",
                lambda m=m: _(
                    "Reminder: meeting «%(topic)s» at %(when)s", topic=m.topic, when=_when(m)
                ),
                _invitation_body(m),
                url=url_for("mentoring.pair", pair_id=pair.id, _anchor=f"meeting-{m.id}"),
                association=pair.programme.association,
                now=now,
            )
            m.reminded_at = now
            sent += 1
    db.session.commit()
    return sent
