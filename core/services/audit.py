"""Audit log of administrative actions (role changes, plugin switches, deletions)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

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


def _sentences() -> dict[str, str]:
    return {
        "plugin.enable": _l("%(plugin)s switched on"),
        "plugin.disable": _l("%(plugin)s switched off"),
        "association.create": _l("Association created"),
        "association.delete": _l("Association deleted"),
        "association.role_change": _l("Member's role changed"),
        "association.exclude": _l("Member excluded from the association"),
        "certificate.revoke": _l("Certificate revoked"),
        "region_admin.add": _l("Regional administrator appointed"),
        "region_admin.remove": _l("Regional administrator removed"),
        "user.sessions_end": _l("User's sessions ended"),
        "plan.row_delete": _l("Activity plan row deleted"),
        "report.publish": _l("Annual report published"),
        "report.unpublish": _l("Annual report withdrawn"),
    }


def known_actions() -> dict[str, str]:
    """Action codes the core describes in words, code -> sentence (plugins left as ``%s``)."""
    return {code: str(text) % {"plugin": "…"} for code, text in _sentences().items()}


def describe(entry: AuditLog, plugin_label: Any = str) -> str:
    """What an audit entry records, in the reader's language; the code when unknown."""
    text = _sentences().get(entry.action)
    if text is None:
        return entry.action
    details = entry.details or {}
    return str(text) % {"plugin": plugin_label(details.get("plugin") or entry.target)}


def detail_text(entry: AuditLog) -> str:
    """Details worth reading (a reason, a year); the raw pairs for an unknown action."""
    details = entry.details or {}
    if entry.action not in _sentences():
        return "; ".join(f"{k}: {v}" for k, v in details.items())
    parts = []
    if details.get("year"):
        parts.append(_("Year: %(year)s", year=details["year"]))
    if details.get("reason"):
        parts.append(_("Reason: %(reason)s", reason=details["reason"]))
    return "; ".join(parts)
