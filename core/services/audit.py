"""Audit log of administrative actions (role changes, plugin switches, deletions)."""

from __future__ import annotations

from typing import Any

from core.extensions import db
from core.models import AuditLog


def record(
    action: str,
    *,
    actor: Any,
    target: str = "",
    region_id: int | None = None,
    association_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit row to the session; the caller commits it with the change it records."""
    entry = AuditLog(
        actor_id=getattr(actor, "id", None),
        action=action,
        target=str(target)[:200],
        region_id=region_id,
        association_id=association_id,
        details=details or {},
    )
    db.session.add(entry)
    return entry
