"""Translated labels of the core's fixed vocabularies, for core pages and plugins alike."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.models import Category

#: Qualification categories as teachers name them (see domain.md), lowest first.
CATEGORY_LABELS: dict[str, Any] = {
    Category.NONE.value: _l("No category yet"),
    Category.PEDAGOG.value: _l("Pedagogue"),
    Category.MODERATOR.value: _l("Pedagogue-moderator"),
    Category.EXPERT.value: _l("Pedagogue-expert"),
    Category.RESEARCHER.value: _l("Pedagogue-researcher"),
    Category.MASTER.value: _l("Pedagogue-master"),
}
