"""Association pages of the core, split by what they do: the directory, membership and editing."""

from __future__ import annotations

from core.views.associations import directory, editing, membership  # noqa: F401 - importing registers the routes
from core.views.associations.common import bp

__all__ = ["bp"]
