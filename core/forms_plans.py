"""Forms of the activity plan and the annual report."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import QauymForm
from core.labels import ACTIVITY_FORM_LABELS


class PlanRowForm(QauymForm):
    number = IntegerField(
        _l("No."),
        validators=[Optional(), NumberRange(min=1, max=9999)],
        description=_l("Leave empty to put the row at the end."),
    )
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=300)])
    form = SelectField(
        _l("Form of activity"),
        choices=[SelectChoice(value, text) for value, text in ACTIVITY_FORM_LABELS.items()],
        validators=[DataRequired()],
    )
    goal = TextAreaField(_l("Goal"), validators=[Length(max=5000)])
    expected_result = TextAreaField(_l("Expected result"), validators=[Length(max=5000)])
    resources = TextAreaField(_l("Resources"), validators=[Length(max=5000)])
    participants = TextAreaField(_l("Participants and venue"), validators=[Length(max=5000)])
    month = SelectField(_l("Month"), validators=[Optional()])
    on_date = DateField(
        _l("Or an exact date"),
        validators=[Optional()],
        description=_l("A date within the school year; it replaces the month."),
    )
    responsible = SelectField(_l("Responsible"), validators=[Optional()])


class PlanImportForm(QauymForm):
    file = FileField(
        _l("CSV file"),
        description=_l(
            "UTF-8, cells separated by ; or , and one row per line: number, topic, form of "
            "activity, goal, expected result, resources, participants and venue, month or "
            "date, responsible (a member's name or email). A header line is allowed."
        ),
    )
    payload = HiddenField()


class PlanSettingsForm(QauymForm):
    members_only = BooleanField(_l("Only members of the association may see this plan"))


class ReportForm(QauymForm):
    foreword = TextAreaField(
        _l("Foreword"),
        validators=[Length(max=10000)],
        description=_l("Markdown: **bold**, lists, links."),
    )
    include_children = BooleanField(_l("Include member associations"))
