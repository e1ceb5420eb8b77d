"""A user's professional-development portfolio, filled by plugins through ``portfolio_entries``."""

from __future__ import annotations

import csv
import io

from flask import current_app

from core.models import User
from core.plugin_api import PortfolioEntry


def entries(user: User) -> list[PortfolioEntry]:
    out: list[PortfolioEntry] = []
    for batch in current_app.extensions["qauym_plugins"].hook.portfolio_entries(user=user):
        out.extend(batch or [])
    return sorted(out, key=lambda e: (e.date, e.title), reverse=True)


def totals(items: list[PortfolioEntry]) -> dict[str, float]:
    out: dict[str, float] = {}
    for e in items:
        out[e.kind] = out.get(e.kind, 0.0) + (e.hours or 0.0)
    return out


def to_csv(user: User, items: list[PortfolioEntry]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["teacher", "date", "kind", "title", "role", "hours", "source", "certificate"])
    for e in items:
        writer.writerow(
            [
                user.full_name,
                e.date.isoformat(),
                e.kind,
                e.title,
                str(e.role),
                f"{e.hours:g}",
                e.source,
                e.certificate_code or "",
            ]
        )
    return buf.getvalue()
