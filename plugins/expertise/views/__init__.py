"""The expertise pages, split by what they do: the library and the coordinators' pages,
submissions, and reviewing.
"""

from __future__ import annotations

from plugins.expertise.views import (  # noqa: F401 - importing registers the routes
    balance,
    library,
    reviews,
    submissions,
)
from plugins.expertise.views.common import bp

__all__ = ["bp"]
