"""Typed objects that plugins return from hooks, and the names of template slots."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage

#: Named places in core templates where plugins may add HTML through ``template_slot``.
SLOTS: dict[str, str] = {
    "home.widgets": "Blocks on the home page of a logged-in user (context: user).",
    "association.sidebar": "Side blocks on an association page (context: association, user).",
    "profile.sections": "Sections on a user's profile page (context: profile_user, user).",
    "admin.dashboard": "Blocks on the admin dashboard (context: user).",
    "notifications.preferences": "Blocks under the notification settings (context: user).",
}


@dataclass(frozen=True)
class PluginInfo:
    """What a plugin says of itself that the installed distribution cannot tell (see the
    ``plugin_info`` hook); everything else is derived, see :class:`PluginMeta`."""

    description: Any  # str or lazy string: the label users see
    translations: Path | None = None  # default: <package>/translations, when it exists
    name: str | None = None  # when given, must equal the entry point's name


@dataclass(frozen=True)
class PluginMeta:
    """What the core knows of an installed plugin, derived without importing it where it can
    be: the name from the entry point, version and summary from the distribution's metadata,
    folders by convention beside the plugin's package."""

    name: str
    version: str
    summary: str  # the distribution's one-line summary (English)
    description: Any  # PluginInfo.description, else the summary
    package_dir: Path | None = None
    translations: Path | None = None
    migrations: Path | None = None


@dataclass(frozen=True)
class Action:
    """A permission: ``check(user, obj)`` answers whether ``user`` may do it on ``obj``."""

    name: str
    description: Any
    check: Callable[[Any, Any], bool]


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    order: int = 100
    action: str | None = None  # shown only if can(user, action)
    url_kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Tab:
    """A tab on an association page, linking to a plugin page for that association."""

    endpoint: str
    label: Any
    order: int = 100
    url_kwargs: dict[str, Any] = field(default_factory=dict)
    count: int | None = None


@dataclass(frozen=True)
class SlotContent:
    html: Any  # markupsafe.Markup
    order: int = 100


@dataclass(frozen=True)
class NotificationKind:
    name: str
    label: Any
    email_default: bool = True


@dataclass(frozen=True)
class EmailReplyResult:
    """What a plugin did with a reply by email (the ``email_reply`` hook): ``accepted`` with
    the ``url`` of what it made, or refused with a short ``reason`` (a lazy string, rendered in
    the sender's language in the refusal email).

    ``refused_files``: for an accepted reply, the attachments the plugin did not keep, as
    ``(file name, reason)`` pairs (the reason a lazy string); the core mails the sender a short
    note naming them, in their language."""

    accepted: bool
    reason: Any = ""
    url: str = ""
    refused_files: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class MailAttachment:
    """A file that came with a reply by email (``email_reply``'s ``attachments``): its name as
    the sender's mail client gave it, the declared ``content_type`` (never trust it: the
    upload checks look at the bytes), the bytes, and whether it was an inline part (an image
    pasted into the text) rather than an attachment."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False

    def as_upload(self):
        """The file as a ``FileStorage``, what ``uploads.save`` takes from a web form."""
        return FileStorage(
            stream=io.BytesIO(self.data), filename=self.filename, content_type=self.content_type
        )


@dataclass(frozen=True)
class SearchResult:
    title: str
    url: str
    snippet: Any = ""  # Markup with <mark> highlights, or plain text
    kind: Any = ""
    score: float = 0.0
    association_id: int | None = None
    date: dt.datetime | None = None


@dataclass(frozen=True)
class PortfolioEntry:
    date: dt.date
    kind: str  # "attended", "hosted", "review", "material", "mentoring", ...
    title: str
    hours: float = 0.0
    role: Any = ""
    url: str | None = None
    source: str = ""  # plugin name
    certificate_code: str | None = None


@dataclass(frozen=True)
class Job:
    """A periodic job. ``func(now)`` runs when at least ``every`` has passed since its last run."""

    name: str
    func: Callable[[dt.datetime], Any]
    every: dt.timedelta = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class PlanLink:
    """A plugin's object that realises a row of an association's activity plan (a master
    class, a review round, a meeting): the plan shows the row as done with a link to it."""

    row_id: int
    title: str
    url: str
    date: dt.date | None = None  # the site day it happened, or is planned for
    done: bool = False  # it took place (held, decided, published)


@dataclass(frozen=True)
class ReportFigure:
    """One figure of an annual report: ``label`` (translatable) and a number or short text."""

    label: Any
    value: int | float | str


@dataclass(frozen=True)
class ReportSection:
    """A plugin's part of an association's annual public report for a period."""

    title: Any
    figures: tuple[ReportFigure, ...] = ()
    highlights: tuple[str, ...] = ()  # plain text lines (the core escapes them)
    order: int = 100
