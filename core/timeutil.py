"""Time helpers: the database holds naive UTC; people see the site time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow() -> dt.datetime:
    """Now in UTC, naive (the form stored in the database)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def site_tz() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", "Asia/Almaty") if has_app_context() else "Asia/Almaty"
    return ZoneInfo(name)


def to_local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored naive-UTC datetime as an aware datetime in the site time zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(site_tz())


def site_date(instant: dt.datetime | None = None) -> dt.date:
    """The site's calendar day (Asia/Almaty by default) of a stored naive-UTC instant.

    ``None`` means now. Use it wherever a person reads "a day": dates on portfolio entries and
    certificates, "today" in lists and forms, once-a-day jobs. Never ``date.today()`` (the
    server's zone) or ``utcnow().date()`` (03:30 on 2 December in Almaty is 1 December in UTC).
    """
    return to_local(utcnow() if instant is None else instant).date()


def site_time(value: str, default: dt.time) -> dt.time:
    """A ``"HH:MM"`` setting as a time of day; ``default`` when it is missing or malformed."""
    try:
        hours, minutes = (int(part) for part in str(value).split(":", 1))
        return dt.time(hours, minutes)
    except (TypeError, ValueError):
        return default


def from_local(value: dt.datetime) -> dt.datetime:
    """A naive datetime typed in the site time zone, as naive UTC for storage."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=site_tz())
    return value.astimezone(dt.UTC).replace(tzinfo=None)
