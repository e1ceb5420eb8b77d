"""The mentoring pages, split by what they do: programmes (enrolment, matching) and pairs (plans,
meetings, observations, reports).
"""

from __future__ import annotations

from plugins.mentoring.views import meetings, pairs, programmes, talk  # noqa: F401 - importing registers the routes
from plugins.mentoring.views.common import bp

__all__ = ["bp"]
