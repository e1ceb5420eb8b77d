"""The library's search condition, shared by the library page and the site search."""

from __future__ import annotations

from core.api import forms_match
from plugins.expertise.models import Submission


def library_match(query: str):
    """Submissions whose title, abstract or keywords (their folded copy, kept by
    ``core.api.keep_folded``) contain each of ``query``'s words in one of its forms
    ("бағалау" finds "Бағалаудың критерийлері", "урок" finds "Открытые уроки"): the library
    page and the site search use the same condition."""
    return forms_match([Submission.search_folded], query, folded=True)
