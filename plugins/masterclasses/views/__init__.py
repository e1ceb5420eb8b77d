"""The master classes' pages, split by what they do: listings and calendar feeds, editing events,
and taking part (registration, participants, attendance, feedback, certificates, materials).
"""

from __future__ import annotations

from plugins.masterclasses.views import (  # noqa: F401 - importing registers the routes
    editing,
    listings,
    participation,
    questions,
    tickets,
)
from plugins.masterclasses.views.common import bp

__all__ = ["bp"]
