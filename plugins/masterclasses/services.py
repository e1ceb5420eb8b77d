"""Rules of the master classes plugin: who sees and edits an event, registration with a
waitlist that never overbooks, status changes, series, reminders and certificates.

Views call these functions; they hold no request state except the current user passed in.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from dateutil.rrule import rrulestr
from flask import current_app, g, has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, or_, select, true

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Association,
    Certificate,
    User,
    certificates,
    db,
    from_local,
    locking,
    notifications,
    permissions,
    plugin_gate,
    to_local,
    utcnow,
)
from plugins.masterclasses.models import (
    ATTENDED,
    Event,
    FeedToken,
    Host,
    Registration,
    RegStatus,
    ReminderSent,
    Series,
    Status,
    Visibility,
)

PLUGIN = "masterclasses"
T = TypeVar("T")

FORMS: dict[str, Any] = {
    "masterclass": _l("Master class"),
    "seminar": _l("Seminar"),
    "webinar": _l("Webinar"),
    "round_table": _l("Round table"),
    "coaching": _l("Coaching session"),
    "lesson_study": _l("Lesson Study session"),
    "learning_walk": _l("Learning walk"),
    "network_meeting": _l("Network meeting"),
    "conference": _l("Conference"),
    "workshop": _l("Workshop"),
}

STATUS_LABELS: dict[str, Any] = {
    Status.DRAFT: _l("Draft"),
    Status.PUBLISHED: _l("Published"),
    Status.CLOSED: _l("Registration closed"),
    Status.HELD: _l("Held"),
    Status.ARCHIVED: _l("Archived"),
    Status.CANCELLED: _l("Cancelled"),
    Status.POSTPONED: _l("Postponed"),
}

DELIVERY_LABELS: dict[str, Any] = {
    "face": _l("Face-to-face"),
    "online": _l("Online"),
    "hybrid": _l("Hybrid"),
}

VISIBILITY_LABELS: dict[str, Any] = {
    Visibility.PUBLIC: _l("Everyone"),
    Visibility.MEMBERS: _l("Members of the association"),
    Visibility.SUBTREE: _l("Members of the association and of the associations within it"),
}

ATTENDANCE_LABELS: dict[str, Any] = {
    "present": _l("Present"),
    "late": _l("Late"),
    "excused": _l("Excused"),
    "absent": _l("Absent"),
}


#: Allowed status changes: action -> (states it applies to, resulting state).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "publish": ((Status.DRAFT, Status.POSTPONED), Status.PUBLISHED),
    "close": ((Status.PUBLISHED,), Status.CLOSED),
    "reopen": ((Status.CLOSED,), Status.PUBLISHED),
    "held": ((Status.PUBLISHED, Status.CLOSED), Status.HELD),
    "archive": ((Status.HELD,), Status.ARCHIVED),
    "cancel": ((Status.DRAFT, Status.PUBLISHED, Status.CLOSED, Status.POSTPONED), Status.CANCELLED),
    "postpone": ((Status.PUBLISHED, Status.CLOSED), Status.POSTPONED),
}

#: Participants may check in with the host's code from this long before the start.
CHECKIN_EARLY = dt.timedelta(minutes=30)
#: Checking in later than this after the start counts as "late".
LATE_AFTER = dt.timedelta(minutes=10)
MAX_OCCURRENCES = 120


def form_choices() -> dict[str, Any]:
    """Built-in forms plus ``MASTERCLASSES_EXTRA_FORMS`` (a dict code -> label, or a list of
    ``"code=Label"`` strings) from the deployment's config."""
    out = dict(FORMS)
    extra = current_app.config.get("MASTERCLASSES_EXTRA_FORMS") or {}
    if isinstance(extra, dict):
        out.update({str(k): v for k, v in extra.items()})
    else:
        for item in extra:
            code, _sep, label = str(item).partition("=")
            out[code.strip()] = label.strip() or code.strip()
    return out


def form_label(code: str) -> str:
    return str(form_choices().get(code, code))


# --- who may see and edit ---------------------------------------------------------------


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _parents() -> dict[int, int | None]:
    if has_request_context() and "_mc_parents" in g:
        return g._mc_parents
    rows = db.session.execute(select(Association.id, Association.parent_id)).all()
    out = {aid: parent for aid, parent in rows}
    if has_request_context():
        g._mc_parents = out
    return out


def ancestors_or_self(ids: Iterable[int]) -> set[int]:
    parents = _parents()
    out: set[int] = set()
    for aid in ids:
        node: int | None = aid
        while node is not None and node not in out:
            out.add(node)
            node = parents.get(node)
    return out


def _managed_ids(user: Any) -> set[int]:
    manager_roles = {r.value for r in permissions.MANAGER_ROLES}
    return {aid for aid, m in permissions.memberships_of(user).items() if m.role in manager_roles}


def is_host(user: Any, event: Event) -> bool:
    return _authenticated(user) and any(h.user_id == user.id for h in event.hosts)


def can_edit(user: Any, event: Event) -> bool:
    """Hosts, leaders and coordinators of the association, and administrators over it."""
    if not _authenticated(user):
        return False
    return is_host(user, event) or permissions.manages(user, event.association)


def can_view(user: Any, event: Event) -> bool:
    if can_edit(user, event):
        return True
    if event.status == Status.DRAFT:
        return False
    if event.visibility == Visibility.PUBLIC:
        return True
    if not _authenticated(user):
        return False
    if permissions.administers(user, event.association):
        return True
    mine = set(permissions.memberships_of(user))
    if event.visibility == Visibility.MEMBERS:
        return event.association_id in mine
    return event.association_id in ancestors_or_self(mine)


def visible_clause(user: Any):
    """A WHERE clause for events ``user`` may see (the SQL twin of :func:`can_view`), in
    associations where the plugin is on."""
    off = plugin_gate.disabled_association_ids(PLUGIN)
    gate = Event.association_id.not_in(off) if off else true()
    if permissions.is_site_admin(user):
        return gate
    public = and_(Event.visibility == Visibility.PUBLIC, Event.status != Status.DRAFT)
    if not _authenticated(user):
        return and_(gate, public)
    mine = set(permissions.memberships_of(user))
    regions = permissions.admin_region_ids(user)
    hosted = select(Host.event_id).where(Host.user_id == user.id)
    editor = or_(
        Event.association_id.in_(_managed_ids(user)) if _managed_ids(user) else false(),
        Event.id.in_(hosted),
        Event.association_id.in_(select(Association.id).where(Association.region_id.in_(regions)))
        if regions
        else false(),
    )
    member = and_(
        Event.status != Status.DRAFT,
        or_(
            and_(Event.visibility == Visibility.MEMBERS, Event.association_id.in_(mine)),
            and_(
                Event.visibility == Visibility.SUBTREE,
                Event.association_id.in_(ancestors_or_self(mine)),
            ),
        ),
    )
    return and_(gate, or_(public, member, editor))


def may_create(user: Any, association: Association) -> bool:
    return _authenticated(user) and permissions.manages(user, association)


# --- registration -----------------------------------------------------------------------


def with_locked_event(event_id: int, work: Callable[[Event], T]) -> T:
    """Run ``work(event)`` in one transaction holding the event's lock, and commit.

    Registrations of one event happen one at a time: the event row is locked
    (``FOR UPDATE`` on PostgreSQL, the write lock on SQLite; see
    :mod:`core.services.locking`), and a lock timeout runs the work again from the start,
    so ``work`` must only touch the database.
    """

    def _work() -> T:
        event = db.session.scalars(
            select(Event)
            .where(Event.id == event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if event is None:
            raise LookupError(event_id)
        return work(event)

    return locking.run_locked(_work)


class RegistrationClosed(Exception):
    """Registration is not open for this event (status, opening time or deadline)."""


def registration_open(event: Event, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    if event.status != Status.PUBLISHED:
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    deadline = event.registration_deadline or event.starts_at
    return now <= deadline


def seats_taken(event_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.event_id == event_id, Registration.status == RegStatus.REGISTERED
            )
        )
        or 0
    )


def waitlist_position(reg: Registration) -> int | None:
    if reg.status != RegStatus.WAITLISTED:
        return None
    return (
        db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.event_id == reg.event_id,
                Registration.status == RegStatus.WAITLISTED,
                Registration.queue_seq <= reg.queue_seq,
            )
        )
        or 0
    )


def registration_of(event: Event, user: Any) -> Registration | None:
    if not _authenticated(user):
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.user_id == user.id
        )
    )


def event_path(event: Event) -> str:
    """The event page's path; built by hand because jobs and threads run outside a request
    (the core always mounts a plugin at ``/<name>``)."""
    return f"/{PLUGIN}/{event.id}"


def _promote(event: Event) -> list[Registration]:
    """Give free seats to the waitlist, first come first served; notify the promoted.
    Called with the event locked."""
    promoted: list[Registration] = []
    if event.status not in (Status.PUBLISHED, Status.CLOSED):
        return promoted
    free = None if event.capacity is None else event.capacity - seats_taken(event.id)
    while free is None or free > 0:
        reg = db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status == RegStatus.WAITLISTED)
            .order_by(Registration.queue_seq)
            .limit(1)
        ).first()
        if reg is None:
            break
        reg.status = RegStatus.REGISTERED
        reg.updated_at = utcnow()
        db.session.flush()
        promoted.append(reg)
        notifications.notify(
            reg.user,
            "masterclasses.promoted",
            _l("A seat is yours: %(title)s", title=event.title),
            _l("A seat became free and you have moved from the waitlist to the participants."),
            event_path(event),
            event.association,
        )
        if free is not None:
            free -= 1
    return promoted


def _enrol(event: Event, user: User) -> Registration:
    """Seat or waitlist ``user``; with the event locked. Idempotent for an active place."""
    reg = db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.user_id == user.id
        )
    )
    if reg is not None and reg.status != RegStatus.CANCELLED:
        return reg
    full = event.capacity is not None and seats_taken(event.id) >= event.capacity
    seq = (
        db.session.scalar(
            select(func.max(Registration.queue_seq)).where(Registration.event_id == event.id)
        )
        or 0
    ) + 1
    if reg is None:
        reg = Registration(event_id=event.id, user_id=user.id)
        db.session.add(reg)
    reg.status = RegStatus.WAITLISTED if full else RegStatus.REGISTERED
    reg.queue_seq = seq
    reg.attendance = None
    reg.updated_at = utcnow()
    db.session.flush()
    return reg


def register(event_id: int, user: User, *, by_host: bool = False) -> tuple[str, int | None]:
    """Register ``user``: a seat when one is free, else the end of the waitlist.

    Returns ``(status, waitlist position or None)``. Raises :class:`RegistrationClosed` when
    registration is not open. A host adding someone may ignore the opening time and the
    deadline (and add people to a draft, or to a held event for its attendance record), never
    the capacity.
    """

    def work(event: Event) -> tuple[str, int | None]:
        if by_host:
            if event.status not in (Status.DRAFT, Status.PUBLISHED, Status.CLOSED, Status.HELD):
                raise RegistrationClosed
        elif not registration_open(event):
            raise RegistrationClosed
        reg = _enrol(event, user)
        return reg.status, waitlist_position(reg)

    return with_locked_event(event_id, work)


def cancel(event_id: int, user_id: int) -> list[Registration]:
    """Cancel ``user_id``'s place; a freed seat goes to the waitlist. Returns the promoted."""

    def work(event: Event) -> list[Registration]:
        reg = db.session.scalar(
            select(Registration).where(
                Registration.event_id == event.id, Registration.user_id == user_id
            )
        )
        if reg is None or reg.status == RegStatus.CANCELLED:
            return []
        had_seat = reg.status == RegStatus.REGISTERED
        reg.status = RegStatus.CANCELLED
        reg.updated_at = utcnow()
        db.session.flush()
        return _promote(event) if had_seat else []

    return with_locked_event(event_id, work)


def promote(event_id: int) -> list[Registration]:
    """Fill free seats from the waitlist (after the capacity was raised, say)."""
    return with_locked_event(event_id, _promote)


def participants(event: Event, status: str = RegStatus.REGISTERED) -> list[Registration]:
    from sqlalchemy.orm import joinedload

    stmt = (
        select(Registration)
        .options(joinedload(Registration.user))
        .where(Registration.event_id == event.id, Registration.status == status)
        .order_by(Registration.queue_seq)
    )
    return list(db.session.scalars(stmt))


# --- status -----------------------------------------------------------------------------


def allowed_transitions(event: Event, now: dt.datetime | None = None) -> list[str]:
    now = now or utcnow()
    out = []
    for action, (sources, _target) in TRANSITIONS.items():
        if event.status not in sources:
            continue
        if action == "held" and event.starts_at > now:
            continue
        out.append(action)
    return out


def change_status(event: Event, action: str, actor: User) -> None:
    """Apply ``action`` (a key of :data:`TRANSITIONS`); cancelling or postponing notifies
    everyone registered or waitlisted. Caller commits."""
    if action not in allowed_transitions(event):
        raise ValueError(action)
    target = TRANSITIONS[action][1]
    event.status = target
    event.updated_at = utcnow()
    event.sequence += 1
    if target == Status.PUBLISHED and not event.checkin_code:
        event.checkin_code = new_checkin_code()
    if target in (Status.CANCELLED, Status.POSTPONED):
        users = _active_people(event)
        if target == Status.CANCELLED:
            title = _l("Cancelled: %(title)s", title=event.title)
            body = _l("The event has been cancelled.")
        else:
            title = _l("Postponed: %(title)s", title=event.title)
            body = _l("The event has been postponed; a new date will be announced.")
        if users:
            notifications.notify(
                users, "masterclasses.changed", title, body, event_path(event), event.association
            )


def _active_people(event: Event) -> list[User]:
    regs = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.status.in_([RegStatus.REGISTERED, RegStatus.WAITLISTED]),
        )
    ).all()
    return [r.user for r in regs]


def notify_moved(event: Event) -> None:
    """Tell everyone registered or waitlisted that the event moved. Caller commits."""
    users = _active_people(event)
    if users and event.status in (Status.PUBLISHED, Status.CLOSED):
        notifications.notify(
            users,
            "masterclasses.changed",
            _l("New time: %(title)s", title=event.title),
            _l(
                "The event now starts %(when)s.",
                when=to_local(event.starts_at).strftime("%d.%m.%Y %H:%M"),
            ),
            event_path(event),
            event.association,
        )


def new_checkin_code() -> str:
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))


def checkin_window(event: Event) -> tuple[dt.datetime, dt.datetime]:
    return event.starts_at - CHECKIN_EARLY, event.ends_at


def check_in(event: Event, reg: Registration, code: str, now: dt.datetime | None = None) -> bool:
    """Mark ``reg`` present (or late) when ``code`` is the event's and now is in the window.
    Caller commits."""
    now = now or utcnow()
    opens, closes = checkin_window(event)
    if not (opens <= now <= closes) or event.status not in (Status.PUBLISHED, Status.CLOSED):
        return False
    typed = "".join(code.split()).upper()
    if not event.checkin_code or not secrets.compare_digest(typed, event.checkin_code):
        return False
    reg.attendance = "late" if now > event.starts_at + LATE_AFTER else "present"
    reg.checked_in_at = now
    return True


def has_ended(event: Event, now: dt.datetime | None = None) -> bool:
    return event.status in (Status.HELD, Status.ARCHIVED) or (
        event.status in (Status.PUBLISHED, Status.CLOSED) and event.ends_at <= (now or utcnow())
    )


# --- series -----------------------------------------------------------------------------


class BadRule(ValueError):
    pass


def occurrences(rule: str, first_local: dt.datetime, until: dt.date) -> list[dt.datetime]:
    """Local start times of a recurrence rule from ``first_local`` up to ``until``.

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
    end = dt.datetime.combine(until, dt.time(23, 59, 59))
    out: list[dt.datetime] = []
    for when in rr:
        if when > end:
            break
        out.append(when)
        if len(out) > MAX_OCCURRENCES:
            raise BadRule("too many")
    if not out:
        raise BadRule("empty")
    return out


def create_series(
    template: Event, rule: str, until: dt.date, first_local: dt.datetime
) -> list[Event]:
    """Materialise ``template`` (not yet added) as one event per occurrence. Caller commits."""
    starts = occurrences(rule, first_local, until)
    series = Series(
        association_id=template.association_id,
        rrule=rule.strip(),
        first_local=first_local,
        until_local=until,
    )
    db.session.add(series)
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
    return events


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


# --- calendars ----------------------------------------------------------------------------


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
    from icalendar import Calendar, vText
    from icalendar import Event as IEvent

    from core.api import multi_line, single_line

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
            {"cancelled": "CANCELLED", "postponed": "TENTATIVE", "draft": "TENTATIVE"}.get(
                ev.status, "CONFIRMED"
            ),
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
            item.add("location", str(DELIVERY_LABELS["online"]))
        cal.add_component(item)
    return cal.to_ical()


def can_see_link(user: Any, event: Event) -> bool:
    """The meeting link is for hosts, editors and registered participants only."""
    if can_edit(user, event):
        return True
    reg = registration_of(event, user)
    return reg is not None and reg.status == RegStatus.REGISTERED


# --- reminders ----------------------------------------------------------------------------


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


# --- certificates and portfolio -----------------------------------------------------------


def source_key(event: Event, user: User) -> str:
    return f"masterclasses:event:{event.id}:user:{user.id}"


def certificate_role(event: Event, user: Any) -> str | None:
    """``"hosted"`` or ``"attended"`` when ``user`` earns a certificate for ``event``."""
    if not _authenticated(user) or not has_ended(event):
        return None
    if is_host(user, event):
        return "hosted"
    reg = registration_of(event, user)
    if reg is not None and reg.status == RegStatus.REGISTERED and reg.attendance in ATTENDED:
        return "attended"
    return None


def existing_certificate(event: Event, user: User) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.source_key == source_key(event, user), Certificate.revoked.is_(False)
        )
    )


def issue_certificate(event: Event, user: User):
    """The certificate of ``user`` for ``event`` (created once). Caller checked the role."""
    role = certificate_role(event, user)
    if role is None:
        raise PermissionError
    local = to_local(event.starts_at)
    hosts = ", ".join(event.host_names)
    if role == "hosted":
        title = _l(
            "for hosting the %(form)s «%(title)s»",
            form=form_label(event.form).lower(),
            title=event.title,
        )
    else:
        title = _l(
            "for taking part in the %(form)s «%(title)s»",
            form=form_label(event.form).lower(),
            title=event.title,
        )
    description = _l(
        "%(form)s, %(date)s. Host: %(hosts)s. %(association)s",
        form=form_label(event.form),
        date=local.strftime("%d.%m.%Y"),
        hosts=hosts or "-",
        association=event.association.name,
    )
    return certificates.issue(
        source_key=source_key(event, user),
        recipient=user,
        title=str(title),
        kind=f"masterclasses.{role}",
        hours=event.credit_hours,
        issuer=event.association.name,
        issued_on=local.date(),
        description=str(description),
        association_id=event.association_id,
    )


def search_events(query: str, user: Any, limit: int) -> list[Event]:
    """Events ``user`` may see whose title or description contains ``query``."""
    from sqlalchemy.orm import joinedload

    from core.api import ci_contains

    listed = (
        Status.PUBLISHED,
        Status.CLOSED,
        Status.POSTPONED,
        Status.CANCELLED,
        Status.HELD,
        Status.ARCHIVED,
    )
    return list(
        db.session.scalars(
            select(Event)
            .options(joinedload(Event.association))
            .where(
                visible_clause(user),
                Event.status.in_(listed),
                or_(ci_contains(Event.title, query), ci_contains(Event.description, query)),
            )
            .order_by(Event.starts_at.desc())
            .limit(limit)
        )
    )


def upcoming_for(user: Any, limit: int = 3) -> list[Event]:
    """The next events ``user`` has a seat at, where the plugin is on."""
    from sqlalchemy.orm import joinedload

    off = plugin_gate.disabled_association_ids(PLUGIN)
    stmt = (
        select(Event)
        .join(Registration, Registration.event_id == Event.id)
        .options(joinedload(Event.association))
        .where(
            Registration.user_id == user.id,
            Registration.status == RegStatus.REGISTERED,
            Event.status.in_([Status.PUBLISHED, Status.CLOSED]),
            Event.ends_at >= utcnow(),
        )
        .order_by(Event.starts_at)
        .limit(limit)
    )
    if off:
        stmt = stmt.where(Event.association_id.not_in(off))
    return list(db.session.scalars(stmt))
