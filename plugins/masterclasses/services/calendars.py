"""Calendar feeds (.ics, personal tokens) and reminders."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, vText
from icalendar import Event as IEvent
from sqlalchemy import select

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    User,
    db,
    multi_line,
    notifications,
    plugin_gate,
    single_line,
    site_request_context,
    to_local,
    utcnow,
)
from plugins.masterclasses.models import (
    Delivery,
    Event,
    FeedToken,
    Registration,
    RegStatus,
    ReminderSent,
    Status,
)
from plugins.masterclasses.services.access import (
    DELIVERY_LABELS,
    PLUGIN,
    can_edit,
    form_label,
)
from plugins.masterclasses.services.registration import (
    event_path,
    place_of,
    registration_of,
)


def existing_feed_token(user: User) -> str | None:
    row = db.session.get(FeedToken, user.id)
    return row.token if row else None


def reset_feed_token(user: User) -> str:
    row = db.session.get(FeedToken, user.id)
    if row is None:
        row = FeedToken(user_id=user.id)
        db.session.add(row)
    row.token = secrets.token_urlsafe(24)
    db.session.commit()
    return row.token


def user_by_feed_token(token: str) -> User | None:
    row = db.session.scalar(select(FeedToken).where(FeedToken.token == token))
    return db.session.get(User, row.user_id) if row else None


def event_uid(event: Event) -> str:
    host = current_app.config["BASE_URL"].split("://", 1)[-1].split("/", 1)[0].split(":")[0]
    return f"masterclasses-event-{event.id}@{host or 'qauym'}"


def to_ics(events: Iterable[Event], name: str, links_for: Any = None) -> bytes:
    """An RFC 5545 calendar of ``events`` with times in UTC (``...Z``: no time zone to get
    wrong). The meeting link is included only for events ``links_for`` may see it of."""
    base = current_app.config["BASE_URL"].rstrip("/")
    cal = Calendar()
    cal.add("prodid", "-//Qauym//masterclasses//KK")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # An X- property is not escaped unless given as text: a line break in it used to stop the
    # whole feed. Every text is cleaned too, for rows stored before the forms cleaned them.
    cal.add("x-wr-calname", vText(single_line(name)))
    stamp = utcnow().replace(tzinfo=dt.UTC)
    for ev in events:
        item = IEvent()
        item.add("uid", event_uid(ev))
        item.add("dtstamp", stamp)
        item.add("dtstart", ev.starts_at.replace(tzinfo=dt.UTC))
        item.add("dtend", ev.ends_at.replace(tzinfo=dt.UTC))
        item.add("summary", single_line(ev.title))
        item.add("sequence", ev.sequence)
        item.add("last-modified", ev.updated_at.replace(tzinfo=dt.UTC))
        item.add(
            "status",
            {
                Status.CANCELLED: "CANCELLED",
                Status.POSTPONED: "TENTATIVE",
                Status.DRAFT: "TENTATIVE",
            }.get(ev.status, "CONFIRMED"),
        )
        url = base + url_for("masterclasses.event", event_id=ev.id)
        item.add("url", url)
        lines = [form_label(ev.form), ", ".join(ev.host_names), url]
        if ev.online and ev.meeting_url and links_for is not None and can_see_link(links_for, ev):
            lines.append(ev.meeting_url)
        item.add("description", multi_line("\n".join(x for x in lines if x)))
        where = single_line(", ".join(x for x in (ev.venue, ev.address) if x))
        if where:
            item.add("location", where)
        elif ev.online:
            item.add("location", str(DELIVERY_LABELS[Delivery.ONLINE]))
        cal.add_component(item)
    return cal.to_ical()


#: The MIME type of an attached calendar: the same METHOD:PUBLISH calendar as the event's
#: .ics link (an RFC 5546 REQUEST needs an organizer and attendees, which an event of many
#: participants does not keep), so a mail client offers to add it; UTF-8 for Kazakh and
#: Russian titles.
ICS_MIMETYPE = "text/calendar; method=PUBLISH; charset=utf-8"


def ics_attachment(events: list[Event], user: User) -> tuple[str, str, bytes]:
    """``(filename, mimetype, bytes)`` of the calendar of ``events`` as ``user`` may see it
    (the meeting link only for a registered participant), for an email's attachments; built
    by :func:`to_ics` as the .ics links are, outside a request too (jobs)."""
    with site_request_context():
        body = to_ics(events, events[0].title, links_for=user)
    name = f"event-{events[0].id}.ics" if len(events) == 1 else f"series-{events[0].id}.ics"
    return name, ICS_MIMETYPE, body


def ics_link(event: Event) -> str:
    with site_request_context():
        path = url_for("masterclasses.event_ics", event_id=event.id)
    return current_app.config["BASE_URL"].rstrip("/") + path


def send_confirmation(user: User, events: list[Event]):
    """Email ``user`` that they have a seat at ``events`` (one event, or the dates of a series
    taken at once), with the calendar attached and its link. Sent at once: they have just
    registered (as pretix confirms an order). Returns the outbox row, or None for no events.
    Caller commits."""
    if not events:
        return None
    events = sorted(events, key=lambda e: e.starts_at)
    first = events[0]

    def when(ev: Event) -> str:
        return to_local(ev.starts_at).strftime("%d.%m.%Y %H:%M")

    if len(events) == 1:
        subject = _l("You are registered: %(title)s", title=first.title)
    else:
        subject = _l(
            "You are registered: %(title)s (%(n)s dates)", title=first.title, n=len(events)
        )
    where = place_of(first)
    link = ics_link(first)
    page = current_app.config["BASE_URL"].rstrip("/") + event_path(first)

    def body() -> str:
        lines = [str(_l("You have a seat at “%(title)s”.", title=first.title))]
        if len(events) == 1:
            lines.append(str(_l("When: %(when)s (Astana time)", when=when(first))))
        else:
            lines.append(str(_l("Dates (Astana time):")))
            lines.extend(f"- {when(ev)}" for ev in events)
        if str(where):
            lines.append(str(_l("Where: %(where)s", where=where)))
        lines.append("")
        lines.append(
            str(_l("The calendar file (.ics) is attached; it is also here: %(url)s", url=link))
        )
        lines.append(page)
        return "\n".join(lines)

    return notifications.send_email(
        user,
        subject,
        body,
        kind="masterclasses.registered",
        attachments=[ics_attachment(events, user)],
    )


def can_see_link(user: Any, event: Event) -> bool:
    """The meeting link is for hosts, editors and registered participants only."""
    if can_edit(user, event):
        return True
    reg = registration_of(event, user)
    return reg is not None and reg.status == RegStatus.REGISTERED


def reminder_offsets() -> list[int]:
    """Minutes before the start at which reminders go out (``MASTERCLASSES_REMINDERS``)."""
    raw = current_app.config.get("MASTERCLASSES_REMINDERS", [1440, 60])
    return sorted({int(x) for x in raw if int(x) > 0})


def send_reminders(now: dt.datetime) -> int:
    """Remind registered participants of events starting soon; return how many were sent.

    Each (event, person, offset) is recorded in :class:`ReminderSent`, so running twice sends
    nothing twice. When several offsets are already due (someone registered an hour before),
    only the nearest one is sent and the others are recorded as done.
    """
    offsets = reminder_offsets()
    if not offsets:
        return 0
    horizon = now + dt.timedelta(minutes=max(offsets))
    off = plugin_gate.disabled_association_ids(PLUGIN)
    stmt = (
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Registration.status == RegStatus.REGISTERED,
            Event.status.in_([Status.PUBLISHED, Status.CLOSED]),
            Event.starts_at > now,
            Event.starts_at <= horizon,
        )
    )
    if off:
        stmt = stmt.where(Event.association_id.not_in(off))
    rows = db.session.execute(stmt).all()
    if not rows:
        return 0
    done = {
        (r.event_id, r.user_id, r.minutes_before)
        for r in db.session.scalars(
            select(ReminderSent).where(ReminderSent.event_id.in_({e.id for _r, e in rows}))
        )
    }
    sent = 0
    for reg, event in rows:
        due = [m for m in offsets if event.starts_at - dt.timedelta(minutes=m) <= now]
        fresh = [m for m in due if (event.id, reg.user_id, m) not in done]
        if not fresh:
            continue
        for m in fresh:
            db.session.add(ReminderSent(event_id=event.id, user_id=reg.user_id, minutes_before=m))
        if min(due) in fresh:
            local = to_local(event.starts_at)
            notifications.notify(
                reg.user,
                "masterclasses.reminder",
                _l("Reminder: %(title)s", title=event.title),
                _l("Starts %(when)s.", when=local.strftime("%d.%m.%Y %H:%M")),
                event_path(event),
                event.association,
                now=now,
            )
            sent += 1
    return sent
