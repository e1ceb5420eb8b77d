"""Governance pages, split by what they do. Every association page finds its association with
``association_for("governance", slug)`` (404 when missing or the plugin is off there), then
checks the permission; every change is a POST with CSRF."""

from __future__ import annotations

from plugins.governance.views import elections, meetings, minutes  # noqa: F401 - registers routes
from plugins.governance.views.common import bp

__all__ = ["bp"]
