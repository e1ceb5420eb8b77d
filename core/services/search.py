"""Site search: the core searches associations and people; plugins add results through the
``search`` hook. Results are scoped to what the user may read and to where plugins are on."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from sqlalchemy import func, or_, select

from core.extensions import db
from core.models import Association, User
from core.plugin_api import SearchResult
from core.plugins import plugin_of
from core.services import plugin_gate


def like_pattern(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def core_results(query: str, user: Any, limit: int) -> list[SearchResult]:
    pat = like_pattern(query)
    out: list[SearchResult] = []
    assocs = db.session.scalars(
        select(Association)
        .where(
            or_(
                func.lower(Association.name_kk).like(pat, escape="\\"),
                func.lower(Association.name_ru).like(pat, escape="\\"),
                func.lower(Association.abbr_kk).like(pat, escape="\\"),
                func.lower(Association.abbr_ru).like(pat, escape="\\"),
                func.lower(Association.topic).like(pat, escape="\\"),
            )
        )
        .order_by(Association.member_count.desc())
        .limit(limit)
    )
    for a in assocs:
        out.append(
            SearchResult(
                title=a.name,
                url=url_for("core.association", slug=a.slug),
                snippet=a.topic[:200],
                kind="association",
                score=2.0,
                association_id=a.id,
            )
        )
    if getattr(user, "is_authenticated", False):
        people = db.session.scalars(
            select(User)
            .where(User.active.is_(True), func.lower(User.full_name).like(pat, escape="\\"))
            .order_by(User.full_name)
            .limit(limit)
        )
        for p in people:
            out.append(
                SearchResult(
                    title=p.full_name,
                    url=url_for("core.profile", user_id=p.id),
                    snippet=p.school.name if p.school else "",
                    kind="person",
                    score=1.5,
                )
            )
    return out


def site_search(query: str, user: Any, limit: int = 20) -> dict[str, list[SearchResult]]:
    """Results grouped by source (``core`` and each plugin), best first."""
    query = (query or "").strip()
    if len(query) < 2:
        return {}
    grouped: dict[str, list[SearchResult]] = {"core": core_results(query, user, limit)}
    registry = current_app.extensions["qauym_plugins"]
    for name, module in registry.enabled.items():
        for impl in registry.pm.hook.search.get_hookimpls():
            if impl.plugin is not module:
                continue
            results = impl.function(query=query, user=user, limit=limit) or []
            off = plugin_gate.disabled_association_ids(plugin_of(name))
            grouped[name] = [
                r for r in results if r.association_id is None or r.association_id not in off
            ][:limit]
    return {k: sorted(v, key=lambda r: -r.score) for k, v in grouped.items() if v}
