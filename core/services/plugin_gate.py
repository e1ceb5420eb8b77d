"""Where a plugin is switched on.

A plugin not selected for the deployment is not registered at all. A registered plugin can be
switched off (and back on) for a region or for an association and its subtree; the switches
live in the database, so a change takes effect on the next request without a restart.
The most specific switch wins: the association's own, then its nearest ancestor's, then the
region's.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import abort, current_app, g, has_request_context
from flask_login import current_user
from sqlalchemy import String, case, cast, func, select

from core.extensions import db
from core.models import Association, PluginSwitch
from core.services import audit, sessions
from core.timeutil import utcnow


def deployed(plugin: str) -> bool:
    return plugin in current_app.extensions["qauym_plugins"].enabled


@functools.cache
def _switches_statement():
    # Built once (see core.services.sessions._load_statement): every gated page reads it.
    return select(
        PluginSwitch.plugin,
        PluginSwitch.region_id,
        PluginSwitch.association_id,
        PluginSwitch.enabled,
    )


def _by_place(rows) -> dict[tuple[str, str, int], bool]:
    out: dict[tuple[str, str, int], bool] = {}
    for plugin, region_id, association_id, enabled in rows:
        if association_id is not None:
            out[(plugin, "association", association_id)] = enabled
        elif region_id is not None:
            out[(plugin, "region", region_id)] = enabled
    return out


def _switches() -> dict[tuple[str, str, int], bool]:
    """(plugin, "region"|"association", id) -> enabled; cached for the request (for a
    signed-in user, read with them: :func:`switches_column`)."""
    if has_request_context():
        if "_qauym_switches" not in g:
            # Load the signed-in reader first (if not yet): the switches come with them. Every
            # page a member opens loads them anyway; an anonymous visitor costs nothing here.
            _ = current_user.is_authenticated
        if "_qauym_switches" in g:
            return g._qauym_switches
    out = _by_place(db.session.execute(_switches_statement()).all())
    if has_request_context():
        g._qauym_switches = out
    return out


# Separators no plugin name or number holds (ASCII unit and record separators).
_FIELD, _RECORD = "\x1f", "\x1e"


def switches_column():
    """Every switch in one string, a scalar subquery read with the signed-in user by
    :func:`core.services.sessions.load_user`: every gated page reads the switches, and a
    statement of their own was a round trip to the database on every member's page (the
    table holds a row per switch a deployer set, a handful)."""
    fields = [
        PluginSwitch.plugin,
        func.coalesce(cast(PluginSwitch.region_id, String), ""),
        func.coalesce(cast(PluginSwitch.association_id, String), ""),
        case((PluginSwitch.enabled.is_(True), "1"), else_="0"),
    ]
    record = fields[0]
    for f in fields[1:]:
        record = record + _FIELD + f
    return select(func.aggregate_strings(record, _RECORD)).scalar_subquery()


def _remember_switches(_user: Any, joined: str | None) -> None:
    if not has_request_context():
        return
    rows = []
    for item in joined.split(_RECORD) if joined else ():
        plugin, region_id, association_id, enabled = item.split(_FIELD)
        rows.append(
            (
                plugin,
                int(region_id) if region_id else None,
                int(association_id) if association_id else None,
                enabled == "1",
            )
        )
    g._qauym_switches = _by_place(rows)


sessions.read_with_user(switches_column, _remember_switches)


def _tree() -> dict[int, tuple[int | None, int | None]]:
    """association id -> (parent id, region id); cached for the request."""
    if has_request_context() and "_qauym_assoc_tree" in g:
        return g._qauym_assoc_tree
    rows = db.session.execute(
        select(Association.id, Association.parent_id, Association.region_id)
    ).all()
    tree = {aid: (parent, region) for aid, parent, region in rows}
    if has_request_context():
        g._qauym_assoc_tree = tree
    return tree


def invalidate() -> None:
    if has_request_context():
        g.pop("_qauym_switches", None)
        g.pop("_qauym_assoc_tree", None)


def _enabled_for_id(plugin: str, association_id: int, switches, tree) -> bool:
    seen: set[int] = set()
    node: int | None = association_id
    region_id = tree.get(association_id, (None, None))[1]
    while node is not None and node not in seen:
        seen.add(node)
        key = (plugin, "association", node)
        if key in switches:
            return switches[key]
        node = tree.get(node, (None, None))[0]
    if region_id is not None and (plugin, "region", region_id) in switches:
        return switches[(plugin, "region", region_id)]
    return True


def is_enabled(plugin: str, association: Association | int | None = None) -> bool:
    """Whether ``plugin`` runs for ``association`` (or at all, when none is given)."""
    if not deployed(plugin):
        return False
    if association is None:
        return True
    switches = _switches()
    if not any(k[0] == plugin for k in switches):
        return True
    aid = association if isinstance(association, int) else association.id
    return _enabled_for_id(plugin, aid, switches, _tree())


def is_enabled_for_region(plugin: str, region_id: int | None) -> bool:
    if not deployed(plugin):
        return False
    if region_id is None:
        return True
    return _switches().get((plugin, "region", region_id), True)


def disabled_association_ids(plugin: str) -> set[int]:
    """Ids of every association where ``plugin`` is switched off (for filtering lists)."""
    if not deployed(plugin):
        return set(_tree())
    switches = _switches()
    if not any(k[0] == plugin for k in switches):
        return set()
    tree = _tree()
    return {aid for aid in tree if not _enabled_for_id(plugin, aid, switches, tree)}


def disabled_plugins_for(association: Association | int) -> set[str]:
    names = current_app.extensions["qauym_plugins"].names()
    return {n for n in names if not is_enabled(n, association)}


def abort_unless_enabled(plugin: str, association: Association | int | None) -> None:
    """404 when the plugin is off for the association, as if the page did not exist."""
    if not is_enabled(plugin, association):
        abort(404)


def set_switch(
    plugin: str,
    enabled: bool,
    *,
    actor: Any,
    region_id: int | None = None,
    association_id: int | None = None,
) -> PluginSwitch:
    """Switch ``plugin`` on or off for a region or an association subtree, and audit it."""
    if (region_id is None) == (association_id is None):
        raise ValueError("give exactly one of region_id and association_id")
    if plugin not in current_app.extensions["qauym_plugins"].installed:
        raise ValueError(f"unknown plugin {plugin!r}")
    row = db.session.scalar(
        select(PluginSwitch).where(
            PluginSwitch.plugin == plugin,
            PluginSwitch.region_id.is_(None)
            if region_id is None
            else PluginSwitch.region_id == region_id,
            PluginSwitch.association_id.is_(None)
            if association_id is None
            else PluginSwitch.association_id == association_id,
        )
    )
    if row is None:
        row = PluginSwitch(plugin=plugin, region_id=region_id, association_id=association_id)
        db.session.add(row)
    row.enabled = enabled
    row.changed_by_id = getattr(actor, "id", None)
    row.changed_at = utcnow()
    audit.record(
        "plugin.enable" if enabled else "plugin.disable",
        actor=actor,
        target=plugin,
        region_id=region_id,
        association_id=association_id,
        details={"plugin": plugin, "enabled": enabled},
    )
    db.session.commit()
    invalidate()
    return row
