"""Translated labels of the core's fixed vocabularies, for core pages and plugins alike."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.models import ActivityForm, Category

#: Qualification categories as teachers name them (see domain.md), lowest first.
CATEGORY_LABELS: dict[str, Any] = {
    Category.NONE.value: _l("No category yet"),
    Category.PEDAGOG.value: _l("Pedagogue"),
    Category.MODERATOR.value: _l("Pedagogue-moderator"),
    Category.EXPERT.value: _l("Pedagogue-expert"),
    Category.RESEARCHER.value: _l("Pedagogue-researcher"),
    Category.MASTER.value: _l("Pedagogue-master"),
}

#: Forms of activity of an activity plan (domain.md, "Forms of activity"), in plan order.
ACTIVITY_FORM_LABELS: dict[str, Any] = {
    ActivityForm.MASTER_CLASS.value: _l("Master class"),
    ActivityForm.SEMINAR.value: _l("Seminar"),
    ActivityForm.WEBINAR.value: _l("Webinar"),
    ActivityForm.VIDEO_CONFERENCE.value: _l("Video conference"),
    ActivityForm.ROUND_TABLE.value: _l("Round table"),
    ActivityForm.CONFERENCE.value: _l("Conference"),
    ActivityForm.FORUM.value: _l("Forum"),
    ActivityForm.COACHING.value: _l("Coaching session"),
    ActivityForm.LESSON_STUDY.value: _l("Lesson Study cycle"),
    ActivityForm.LEARNING_WALK.value: _l("Learning walk"),
    ActivityForm.NETWORK_MEETING.value: _l("Network meeting"),
    ActivityForm.WORKSHOP.value: _l("Pedagogical workshop"),
    ActivityForm.FESTIVAL.value: _l("Festival"),
    ActivityForm.MARATHON.value: _l("Marathon"),
    ActivityForm.CONTEST.value: _l("Contest of teaching skill"),
    ActivityForm.CONSULTATION.value: _l("Consultation meeting"),
    ActivityForm.TRAINING.value: _l("Training"),
    ActivityForm.EXHIBITION.value: _l("Exhibition"),
    ActivityForm.GENERAL_MEETING.value: _l("General meeting"),
}
