"""Registration: seats under a lock, the waitlist and promotion, the event's status, check-in."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    User,
    db,
    locking,
    notifications,
    to_local,
    utcnow,
)
from plugins.masterclasses.models import (
    Attendance,
    Event,
    Registration,
    RegStatus,
    Status,
)
from plugins.masterclasses.services.access import (
    CHECKIN_EARLY,
    LATE_AFTER,
    PLUGIN,
    TRANSITIONS,
    T,
    _authenticated,
)


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


def place_of(event: Event) -> Any:
    """Where the event is, for a message: the venue and address, and/or "online"."""
    parts = [p for p in (event.venue, event.address) if p]
    where = ", ".join(parts)
    if event.online:
        online = _l("online (the link is on the event page)")
        return _l("%(place)s or %(online)s", place=where, online=online) if where else online
    return where


def _ics_attachment(events: list[Event], user: User) -> tuple[str, str, bytes]:
    # calendars imports this module (registration_of, event_path): import it when needed.
    from plugins.masterclasses.services.calendars import ics_attachment

    return ics_attachment(events, user)


def offer_sent_at(event: Event, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """When the email offering a seat with a confirmation deadline goes out, and whether it
    must be urgent (ignore quiet hours).

    As pretix counts a waiting-list voucher's validity from when it is sent, the time to
    confirm counts from when the person can read the offer: an offer made in quiet hours is
    emailed at their end (``notifications.quiet_until``), not urgently, and the deadline
    counts from then. Only when the event starts before quiet hours end is the email sent at
    once (urgent), with the deadline counted from ``now`` as before.
    """
    quiet_end = notifications.quiet_until(now)
    if quiet_end is None:
        return now, False
    if quiet_end >= event.starts_at:
        return now, True
    return quiet_end, False


def _promote(event: Event, now: dt.datetime | None = None) -> list[Registration]:
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
        now = now or utcnow()
        reg.status = RegStatus.REGISTERED
        reg.updated_at = now
        when = to_local(event.starts_at).strftime("%d.%m.%Y %H:%M")
        urgent = False
        if event.confirm_hours and event.starts_at > now:
            sent_at, urgent = offer_sent_at(event, now)
            reg.offer_expires_at = min(
                sent_at + dt.timedelta(hours=event.confirm_hours), event.starts_at
            )
            body = _l(
                "A seat became free for you. When: %(when)s. Where: %(where)s. Confirm it on "
                "the event page by %(deadline)s, or it passes to the next on the waitlist.",
                when=when,
                where=place_of(event),
                deadline=to_local(reg.offer_expires_at).strftime("%d.%m.%Y %H:%M"),
            )
        else:
            body = _l(
                "A seat became free and you have moved from the waitlist to the participants. "
                "When: %(when)s. Where: %(where)s.",
                when=when,
                where=place_of(event),
            )
        db.session.flush()
        promoted.append(reg)
        notifications.notify(
            reg.user,
            "masterclasses.promoted",
            _l("A seat is yours: %(title)s", title=event.title),
            body,
            event_path(event),
            event.association,
            now=now,
            urgent=urgent,
            attachments=[_ics_attachment([event], reg.user)],
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
    if not reg.ticket_code:
        reg.ticket_code = new_ticket_code()
    reg.queue_seq = seq
    reg.attendance = None
    reg.updated_at = utcnow()
    db.session.flush()
    return reg


class NotInAudience(RegistrationClosed):
    """The event takes only its target audience and ``user`` is not in it."""


def audience_gaps(event: Event, user: User) -> list[str]:
    """What keeps ``user`` out of the event's target audience: "category" (their
    qualification category is not among the event's), "subject" (they teach none of its
    subjects), "experience" (outside the experience range). Empty when they fit or the event
    takes everyone."""
    gaps = []
    if event.categories and user.category not in event.categories:
        gaps.append("category")
    if event.subjects and not {s.id for s in event.subjects} & {s.id for s in user.subjects}:
        gaps.append("subject")
    years = user.experience_years or 0
    if (event.min_experience is not None and years < event.min_experience) or (
        event.max_experience is not None and years > event.max_experience
    ):
        gaps.append("experience")
    return gaps


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
        elif event.enforce_audience and audience_gaps(event, user):
            raise NotInAudience
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


def confirm_offer(event_id: int, user_id: int, now: dt.datetime | None = None) -> bool:
    """The promoted person keeps the offered seat; False when there is no open offer."""
    now = now or utcnow()

    def work(event: Event) -> bool:
        reg = db.session.scalar(
            select(Registration).where(
                Registration.event_id == event.id,
                Registration.user_id == user_id,
                Registration.status == RegStatus.REGISTERED,
                Registration.offer_expires_at.is_not(None),
            )
        )
        if reg is None or reg.offer_expires_at < now:
            return False
        reg.offer_expires_at = None
        reg.updated_at = now
        return True

    return with_locked_event(event_id, work)


def expire_offers(now: dt.datetime) -> int:
    """The job: offers not confirmed in time pass to the next on the waitlist. Idempotent (an
    expired offer is cancelled once; a second run finds nothing). Returns how many expired."""
    event_ids = db.session.scalars(
        select(Registration.event_id)
        .where(
            Registration.status == RegStatus.REGISTERED,
            Registration.offer_expires_at.is_not(None),
            Registration.offer_expires_at <= now,
        )
        .distinct()
    ).all()
    expired = 0
    for event_id in event_ids:

        def work(event: Event) -> int:
            regs = db.session.scalars(
                select(Registration).where(
                    Registration.event_id == event.id,
                    Registration.status == RegStatus.REGISTERED,
                    Registration.offer_expires_at.is_not(None),
                    Registration.offer_expires_at <= now,
                )
            ).all()
            for reg in regs:
                reg.status = RegStatus.CANCELLED
                reg.offer_expires_at = None
                reg.updated_at = now
                notifications.notify(
                    reg.user,
                    "masterclasses.promoted",
                    _l("The seat has passed on: %(title)s", title=event.title),
                    _l("You did not confirm the offered seat in time; it went to the next person."),
                    event_path(event),
                    event.association,
                )
            db.session.flush()
            if event.starts_at > now:
                _promote(event, now)
            return len(regs)

        expired += with_locked_event(event_id, work)
    return expired


def promote(event_id: int) -> list[Registration]:
    """Fill free seats from the waitlist (after the capacity was raised, say)."""
    return with_locked_event(event_id, _promote)


def participants(event: Event, status: str = RegStatus.REGISTERED) -> list[Registration]:
    stmt = (
        select(Registration)
        .options(joinedload(Registration.user))
        .where(Registration.event_id == event.id, Registration.status == status)
        .order_by(Registration.queue_seq)
    )
    return list(db.session.scalars(stmt))


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


TICKET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TICKET_LENGTH = 8


def new_ticket_code() -> str:
    """A personal ticket code no registration has yet (32**8 codes: not guessable by typing)."""
    while True:
        code = "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))
        taken = db.session.scalar(select(Registration.id).where(Registration.ticket_code == code))
        if taken is None:
            return code


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
    if not event.shared_checkin:
        return False
    typed = "".join(code.split()).upper()
    if not event.checkin_code or not secrets.compare_digest(typed, event.checkin_code):
        return False
    reg.attendance = Attendance.LATE if now > event.starts_at + LATE_AFTER else Attendance.PRESENT
    reg.checked_in_at = now
    return True


def has_ended(event: Event, now: dt.datetime | None = None) -> bool:
    return event.status in (Status.HELD, Status.ARCHIVED) or (
        event.status in (Status.PUBLISHED, Status.CLOSED) and event.ends_at <= (now or utcnow())
    )
