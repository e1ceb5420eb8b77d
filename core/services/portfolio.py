"""A user's professional-development portfolio, filled by plugins through ``portfolio_entries``.

The portfolio is evidence for attestation (hours attended and hosted, reviews written,
materials published, mentoring), so it is private: the owner, site administrators and the
regional administrators of the owner's region may see it (:func:`may_view`).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from core.models import Certificate, User
from core.plugin_api import PortfolioEntry
from core.services import permissions

log = logging.getLogger("qauym.portfolio")

#: Labels of the usual entry kinds; a plugin may use another kind, shown as it is.
KIND_LABELS: dict[str, Any] = {
    "attended": _l("Attended"),
    "hosted": _l("Hosted"),
    "review": _l("Expert reviews"),
    "material": _l("Materials published"),
    "mentoring": _l("Mentoring"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def may_view(viewer: Any, user: User) -> bool:
    """The owner, a site administrator, or a regional administrator of the user's region."""
    return permissions.can(viewer, "portfolio.view", user)


def entries(user: User) -> list[PortfolioEntry]:
    """Every plugin's entries for ``user``, newest first.

    A plugin whose hook raises is logged and left out: one broken plugin must not take the
    whole record (and an attestation export) down with it.
    """
    out = current_app.extensions["qauym_plugins"].items("portfolio_entries", user=user)
    return sorted(out, key=lambda e: (e.date, str(e.title)), reverse=True)


def totals(items: list[PortfolioEntry]) -> dict[str, float]:
    """Hours per kind, in the order kinds first appear."""
    out: dict[str, float] = {}
    for e in items:
        out[e.kind] = out.get(e.kind, 0.0) + (e.hours or 0.0)
    return out


@dataclass(frozen=True)
class Summary:
    """What ``templates/core/_portfolio.html`` shows; see :func:`summary`."""

    user: User
    entries: list[PortfolioEntry]
    totals: list[tuple[str, str, float]]  # (kind, label, hours)
    total_hours: float
    certificates: list[Certificate]
    labels: dict[str, str]  # kind -> label, for every kind among the entries


def summary(user: User) -> Summary:
    """Entries, hours per kind and certificates of ``user``, for the portfolio partial.

    A page showing the portfolio (the profile, say) checks :func:`may_view` first, then::

        {% if portfolio %}{% include "core/_portfolio.html" %}{% endif %}

    with ``portfolio=summary(user)`` in the template context.
    """
    from core.services import certificates

    items = entries(user)
    sums = totals(items)
    return Summary(
        user=user,
        entries=items,
        totals=[(k, kind_label(k), h) for k, h in sums.items()],
        total_hours=sum(sums.values()),
        certificates=certificates.for_user(user),
        labels={e.kind: kind_label(e.kind) for e in items},
    )


def _cell(value: Any) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ is shown as text."""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def to_csv(user: User, items: list[PortfolioEntry]) -> str:
    """The portfolio as CSV text with translated headers.

    Separated by semicolons with decimal commas as the locale writes them: Excel in
    Kazakhstan (kk/ru regional settings) opens such a file into columns on a double click.
    The caller adds a UTF-8 byte-order mark so Excel reads Kazakh letters right.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            str(_l("Teacher")),
            str(_l("Date")),
            str(_l("Kind")),
            str(_l("Title")),
            str(_l("Role")),
            str(_l("Hours")),
            str(_l("Source")),
            str(_l("Certificate")),
        ]
    )
    for e in items:
        writer.writerow(
            [
                _cell(user.full_name),
                e.date.isoformat(),
                _cell(kind_label(e.kind)),
                _cell(e.title),
                _cell(e.role),
                format_decimal(e.hours or 0, format="0.##"),
                _cell(e.source),
                e.certificate_code or "",
            ]
        )
    return buf.getvalue()
