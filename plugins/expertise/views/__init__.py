"""The expertise pages, split by what they do: the library and the coordinators' pages,
submissions, and reviewing.
"""

from __future__ import annotations

from plugins.expertise.views import library, reviews, submissions  # noqa: F401 - importing registers the routes
from plugins.expertise.views.common import bp

__all__ = ["bp"]
