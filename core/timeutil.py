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


def from_local(value: dt.datetime) -> dt.datetime:
    """A naive datetime typed in the site time zone, as naive UTC for storage."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=site_tz())
    return value.astimezone(dt.UTC).replace(tzinfo=None)
