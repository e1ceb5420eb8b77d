"""A user's professional-development portfolio, filled by plugins through ``portfolio_entries``.

The portfolio is evidence for attestation (hours attended and hosted, reviews written,
materials published, mentoring), so it is private: the owner, site administrators and the
regional administrators of the owner's region may see it (:func:`may_view`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l

from core.models import Certificate, User
from core.plugin_api import PortfolioEntry
from core.services import certificates, permissions

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


def source_label(source: str) -> str:
    """The plugin a portfolio entry comes from, by its translated description."""
    registry = current_app.extensions.get("qauym_plugins")
    info = registry.info.get(source) if registry is not None else None
    description = getattr(info, "description", "")
    return str(description) if description else source


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


def csv_table(user: User, items: list[PortfolioEntry]) -> tuple[list[str], list[list[Any]]]:
    """The portfolio as a CSV header and rows with translated headers, for
    :func:`core.services.csv_export.csv_response` (which defuses formulas and writes hours
    with the locale's decimal sign, as Excel in Kazakhstan reads them)."""
    header = [
        str(_l("Teacher")),
        str(_l("Date")),
        str(_l("Kind")),
        str(_l("Title")),
        str(_l("Role")),
        str(_l("Hours")),
        str(_l("Source")),
        str(_l("Certificate")),
    ]
    rows = [
        [
            user.full_name,
            e.date.isoformat(),
            str(kind_label(e.kind)),
            e.title,
            e.role,
            e.hours or 0,
            source_label(e.source),
            e.certificate_code or "",
        ]
        for e in items
    ]
    return header, rows
