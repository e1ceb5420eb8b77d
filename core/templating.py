"""Jinja globals and filters shared by core and plugin templates.

* ``slot(name, **context)``: HTML that plugins contribute to a named place (see
  :data:`core.plugin_api.SLOTS`); an unknown name raises, so template and spec cannot drift.
* ``nav_items()``: the site navigation (core items and plugins' ``nav_items``), sorted.
* ``association_tabs(association)``: tabs from plugins enabled for the association, sorted.
* ``can(action, obj)``: the permission service for the current user.
* ``stylesheets()``: the URL of the one stylesheet of every page, the core's and each enabled
  plugin's ``<plugin>/static/<plugin>.css`` bundled, versioned by a hash of its content
  (:mod:`core.stylesheets`).
* filters ``dt`` / ``date`` (site time zone), ``markdown`` (safe HTML).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from babel.dates import get_datetime_format
from flask import Flask, current_app, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from core import stylesheets as bundled_stylesheets
from core.i18n import LANGUAGE_NAMES, current_locale
from core.plugin_api import SLOTS, NavItem, SlotContent, Tab
from core.services import markdown
from core.services.notifications import unread_count
from core.services.permissions import can as _can
from core.timeutil import to_local


class UnknownSlot(LookupError):
    pass


def slot(name: str, **context: Any) -> Markup:
    if name not in SLOTS:
        raise UnknownSlot(f"Template slot {name!r} is not declared in core.plugin_api.SLOTS")
    parts: list[SlotContent] = current_app.extensions["qauym_plugins"].items(
        "template_slot", association=context.get("association"), slot=name, context=context
    )
    return Markup("\n").join(Markup(p.html) for p in parts)  # noqa: S704 - plugin HTML, rendered by Jinja


CORE_NAV = [
    NavItem("core.directory", _l("Associations"), order=10),
]


def nav_items() -> list[NavItem]:
    items = CORE_NAV + current_app.extensions["qauym_plugins"].items("nav_items", user=current_user)
    items = [i for i in items if i.action is None or _can(current_user, i.action, None)]
    return sorted(items, key=lambda i: (i.order, str(i.label)))


def association_tabs(association) -> list[Tab]:
    tabs: list[Tab] = current_app.extensions["qauym_plugins"].items(
        "association_tabs", association=association, user=current_user
    )
    return sorted(tabs, key=lambda t: (t.order, str(t.label)))


def fmt_dt(value: dt.datetime | None, fmt: str = "medium") -> str:
    """A stored UTC instant in the site's time, without seconds ("2 дек. 2026 г., 14:30"):
    the named formats "medium" and "long" of Babel print seconds, which nobody reads here."""
    if value is None:
        return ""
    return _fmt_dt(value, fmt, get_locale(), current_app.config["TIMEZONE"])


def fmt_date(value: dt.date | dt.datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return _fmt_date(value, fmt, get_locale(), current_app.config["TIMEZONE"])


# Formatting a date with Babel costs 25-40 us; a topic page shows 20 or more, the same ones on
# every visit. The result depends only on the arguments, the reader's locale and the site's
# time zone, which are the cache key (the locale and zone are read by the Flask-Babel calls
# inside, from the same request).
@lru_cache(maxsize=8192)
def _fmt_dt(value: dt.datetime, fmt: str, locale: Any, tz: str) -> str:
    local = to_local(value)
    if fmt in ("medium", "long"):
        pattern = get_datetime_format(fmt, locale=locale)
        return pattern.replace("{1}", format_date(local, fmt)).replace(
            "{0}", format_time(local, "short")
        )
    return format_datetime(local, fmt)


@lru_cache(maxsize=8192)
def _fmt_date(value: dt.date | dt.datetime, fmt: str, locale: Any, tz: str) -> str:
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return format_date(value, fmt)


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (for pagination and filters)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def stylesheets() -> list[str]:
    """The stylesheet URLs every page links: one bundle of the core's and the plugins' rules
    (:mod:`core.stylesheets`)."""
    return bundled_stylesheets.urls()


def fmt_number(value: Any, digits: int = 2) -> str:
    """A number in the reader's locale: 1,5 in Kazakh and Russian, 1.5 in English; no
    trailing zeros (2 stays 2)."""
    if value is None or value == "":
        return ""
    return format_decimal(value, format="#,##0." + "#" * max(0, digits))


def fmt_filesize(size: Any) -> str:
    """A file size people read: bytes under 1 KB (never "0 KB"), then KB and MB."""
    try:
        size = int(size or 0)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return _("%(n)s B", n=size)
    if size < 1024 * 1024:
        return _("%(n)s KB", n=fmt_number(size / 1024, 0 if size >= 10 * 1024 else 1))
    return _("%(n)s MB", n=fmt_number(size / (1024 * 1024), 1))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        stylesheets=stylesheets,
        slot=slot,
        nav_items=nav_items,
        association_tabs=association_tabs,
        can=lambda action, obj=None: _can(current_user, action, obj),
        current_locale=current_locale,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        url_with=url_with,
    )
    app.jinja_env.filters.update(
        dt=fmt_dt,
        date=fmt_date,
        markdown=markdown.render,
        number=fmt_number,
        filesize=fmt_filesize,
    )

    @app.context_processor
    def _unread():
        def unread() -> int:
            if current_user.is_authenticated:
                return unread_count(current_user)
            return 0

        return {"unread_notifications": unread}
