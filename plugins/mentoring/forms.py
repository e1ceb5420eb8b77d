"""Mentoring forms. Choices that depend on the programme (subjects, members, capacity) are
filled in by the views before validation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from core.api import Category, Language, QauymForm, site_date
from plugins.mentoring.services import AREAS, CATEGORY_LABELS, GOAL_STATUSES, LANGUAGES

GRADES = [SelectChoice(g, str(g)) for g in range(1, 12)]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _areas():
    return [SelectChoice(k, v) for k, v in AREAS.items()]


def _languages():
    return [SelectChoice(k, v) for k, v in LANGUAGES.items()]


class ProgrammeForm(QauymForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    period = StringField(
        _l("Period"), validators=[Length(max=40)], description=_l("For example 2026–2027")
    )
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    min_category = SelectField(
        _l("Minimum qualification category of a mentor"),
        choices=[SelectChoice(c.value, CATEGORY_LABELS[c.value]) for c in Category],
        default=Category.MODERATOR.value,
    )
    max_mentees = IntegerField(
        _l("Maximum mentees per mentor"),
        validators=[InputRequired(), NumberRange(1, 10)],
        default=2,
    )
    meetings_per_month = IntegerField(
        _l("Expected meetings per month"),
        validators=[InputRequired(), NumberRange(0, 20)],
        default=2,
    )
    observations_required = IntegerField(
        _l("Lesson observations expected per pair"),
        validators=[InputRequired(), NumberRange(0, 40)],
        default=4,
    )
    enrolment_open = BooleanField(_l("Enrolment is open"), default=True)
    alert_weeks = IntegerField(
        _l("Flag a pair without a meeting for this many weeks"),
        validators=[Optional(), NumberRange(1, 26)],
        default=4,
    )
    coordinators = CheckboxesField(
        _l("Coordinators (besides the association's leaders)"), coerce=int
    )

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end must not be before the start."))


class MentorForm(QauymForm):
    subjects = CheckboxesField(_l("Subjects"), coerce=int, validators=[DataRequired()])
    grades = CheckboxesField(_l("Grades"), coerce=int, choices=GRADES, validators=[DataRequired()])
    languages = CheckboxesField(
        _l("Languages of instruction"), choices=_languages(), validators=[DataRequired()]
    )
    experience_years = IntegerField(
        _l("Years of teaching experience"), validators=[InputRequired(), NumberRange(0, 60)]
    )
    strengths = CheckboxesField(_l("Strengths"), choices=_areas(), validators=[DataRequired()])
    capacity = IntegerField(
        _l("How many young colleagues can you mentor?"),
        validators=[InputRequired(), NumberRange(1, 10)],
        default=1,
    )
    availability = TextAreaField(
        _l("Availability"),
        validators=[Length(max=1000)],
        description=_l("For example: Tuesdays and Thursdays after 15:00"),
    )


class NoviceForm(QauymForm):
    subject = SelectField(_l("Subject"), coerce=int, validators=[DataRequired()])
    grades = CheckboxesField(_l("Grades"), coerce=int, choices=GRADES, validators=[DataRequired()])
    language = SelectField(
        _l("Language of instruction"), choices=_languages(), default=Language.KK.value
    )
    experience_years = IntegerField(
        _l("Years of teaching experience"), validators=[InputRequired(), NumberRange(0, 60)]
    )
    needs = CheckboxesField(
        _l("Where do you want support?"), choices=_areas(), validators=[DataRequired()]
    )
    diagnostic = TextAreaField(
        _l("Describe your difficulties (diagnostic)"),
        validators=[DataRequired(), Length(max=4000)],
    )
    preferences = TextAreaField(
        _l("Preferences"),
        validators=[Length(max=1000)],
        description=_l("For example: a mentor from my school, meetings after lessons"),
    )


class ReasonForm(QauymForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class GoalForm(QauymForm):
    title = StringField(_l("Goal"), validators=[DataRequired(), Length(max=300)])
    need = SelectField(_l("Linked need"), choices=[])
    target_date = DateField(_l("Target date"), validators=[DataRequired()])


class GoalStatusForm(QauymForm):
    status = SelectField(
        _l("Status"), choices=[SelectChoice(k, v) for k, v in GOAL_STATUSES.items()]
    )


class MeetingForm(QauymForm):
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    duration_minutes = IntegerField(
        _l("Duration, minutes"), validators=[InputRequired(), NumberRange(5, 600)], default=45
    )
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=300)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)])
    next_steps = TextAreaField(_l("Agreed next steps"), validators=[Length(max=2000)])

    def validate_held_on(self, field):
        today = site_date()
        if field.data and field.data > today:
            raise ValidationError(_l("A meeting in the log cannot be in the future."))


class ObservationForm(QauymForm):
    lesson_date = DateField(_l("Lesson date"), validators=[DataRequired()])
    class_name = StringField(_l("Class"), validators=[Length(max=40)])
    lesson_topic = StringField(_l("Lesson topic"), validators=[DataRequired(), Length(max=300)])
    focus = CheckboxesField(_l("Focus areas"), choices=_areas(), validators=[DataRequired()])
    went_well = TextAreaField(_l("What went well"), validators=[DataRequired(), Length(max=4000)])
    to_improve = TextAreaField(_l("What to improve"), validators=[DataRequired(), Length(max=4000)])
    actions = TextAreaField(_l("Agreed actions"), validators=[Length(max=2000)])


class ReflectionForm(QauymForm):
    reflection = TextAreaField(
        _l("Your reflection on the lesson"), validators=[DataRequired(), Length(max=4000)]
    )


DURATIONS = [SelectChoice(m, _l("%(n)s min", n=m)) for m in (30, 45, 60, 90, 120)]


class PlanMeetingForm(QauymForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    time = TimeField(_l("Time (Astana)"), validators=[DataRequired()])
    duration_minutes = SelectField(_l("Duration"), coerce=int, choices=DURATIONS, default=45)
    topic = StringField(_l("Topic or agenda"), validators=[DataRequired(), Length(max=300)])
    place = StringField(
        _l("Place"),
        validators=[Length(max=300)],
        description=_l("For example: room 21, or leave empty for an online meeting"),
    )
    link = StringField(
        _l("Meeting link"),
        validators=[Optional(), Length(max=500), URL(message=_l("Enter a web address."))],
        description=_l("A link to the online meeting (Zoom, Teams, Meet...)"),
    )

    def validate_place(self, field):
        if not (field.data or "").strip() and not (self.link.data or "").strip():
            raise ValidationError(_l("Give a place or a meeting link."))

    def validate_link(self, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("Enter a web address."))


class MessageForm(QauymForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=4000)])


class MentorRequestForm(QauymForm):
    note = TextAreaField(_l("A word to the coordinator (optional)"), validators=[Length(max=1000)])


class PulseForm(QauymForm):
    score = RadioField(
        _l("How is it going?"),
        coerce=int,
        choices=[
            SelectChoice(1, _l("1 – badly")),
            SelectChoice(2, _l("2 – not well")),
            SelectChoice(3, _l("3 – so-so")),
            SelectChoice(4, _l("4 – well")),
            SelectChoice(5, _l("5 – very well")),
        ],
        validators=[InputRequired(message=_l("Choose a score from 1 to 5."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
