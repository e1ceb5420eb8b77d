"""Personal check-in (as pretix's ticket secrets): every registration has a code of its own,
printed on the participant's ticket page and in its QR code. The QR code is a link to the
host's check-in page for that code, so a phone's camera app opens it; only the event's hosts
and editors may use that page, so a participant cannot check in from home with it. The shared
code of the event stays as an option the host can switch off.
"""

from __future__ import annotations

import datetime as dt
import io

import segno
from sqlalchemy import select

from core.api import db, utcnow
from plugins.masterclasses.models import Attendance, Event, Registration, RegStatus, Status
from plugins.masterclasses.services.access import LATE_AFTER
from plugins.masterclasses.services.registration import (
    TICKET_LENGTH,
    checkin_window,
    new_ticket_code,
)

LENGTH = TICKET_LENGTH


def ensure_ticket_code(reg: Registration) -> str:
    """The registration's code, made on first use for registrations older than codes."""
    if not reg.ticket_code:
        reg.ticket_code = new_ticket_code()
    return reg.ticket_code


def clean_code(text: str | None) -> str:
    """What was typed or scanned, as a code: spaces and dashes dropped, upper case."""
    cleaned = "".join(ch for ch in (text or "") if ch.isalnum()).upper()
    return cleaned[:LENGTH] if len(cleaned) == LENGTH else ""


def show_code(code: str) -> str:
    """The code as printed: two groups of four ("K7PM 3QXA"), easy to read aloud."""
    return f"{code[:4]} {code[4:]}" if len(code) == LENGTH else code


def registration_by_code(event: Event, text: str | None) -> Registration | None:
    code = clean_code(text)
    if not code:
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.ticket_code == code
        )
    )


def host_check_in(event: Event, reg: Registration, now: dt.datetime | None = None) -> str:
    """Check ``reg`` in at the host's desk: "done", "already", "closed" (outside the check-in
    window or the event is not open) or "not_registered". Caller commits."""
    now = now or utcnow()
    if reg.status != RegStatus.REGISTERED:
        return "not_registered"
    opens, closes = checkin_window(event)
    if not (opens <= now <= closes) or event.status not in (Status.PUBLISHED, Status.CLOSED):
        return "closed"
    if reg.checked_in_at is not None:
        return "already"
    reg.attendance = Attendance.LATE if now > event.starts_at + LATE_AFTER else Attendance.PRESENT
    reg.checked_in_at = now
    return "done"


def qr_svg(data: str, title: str) -> bytes:
    """The QR code of ``data`` as a standalone SVG (no styles, no scripts)."""
    buf = io.BytesIO()
    segno.make(data, error="m").save(
        buf, kind="svg", scale=6, border=2, xmldecl=False, title=title, dark="#000", light="#fff"
    )
    return buf.getvalue()
