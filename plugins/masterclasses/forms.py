"""Forms of the master classes plugin. Times are typed in the site time zone."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from core.api import QauymForm, from_local
from plugins.masterclasses import services
from plugins.masterclasses.models import Delivery, Phase


def http_only(form, field):
    """Links must be http(s): a ``javascript:`` URL would run in the page when clicked."""
    value = (field.data or "").strip().lower()
    if value and not value.startswith(("http://", "https://")):
        raise ValidationError(_l("Enter a full link (https://...)."))


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(k), str(v)) for k, v in labels.items()]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


#: The recurrence builder's fields (an event form leaves them out when editing one date).
RECURRENCE_FIELDS = (
    "repeat",
    "interval",
    "weekdays",
    "monthly",
    "position",
    "weekday",
    "ends",
    "repeat_until",
    "count",
    "rrule",
    "preview",
)


class RecurrenceForm(QauymForm):
    """The recurrence builder: frequency, interval, weekdays or "the last Friday", and the end
    (a date or a number of dates); the raw RRULE is the advanced choice. ``check_recurrence``
    leaves the rule and its local dates in ``rule_text`` and ``dates``."""

    repeat = SelectField(_l("Repeat"), default="", validators=[Optional()])
    interval = IntegerField(
        _l("Every (days, weeks or months)"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=99)],
    )
    weekdays = MultiCheckboxField(_l("On these days of the week"), validators=[Optional()])
    monthly = RadioField(
        _l("Day of the month"),
        choices=[
            SelectChoice("day", _l("The same date as the first one")),
            SelectChoice("weekday", _l("A weekday of the month (e.g. the last Friday)")),
        ],
        default="day",
        validators=[Optional()],
    )
    position = SelectField(_l("Which one"), default="1", validators=[Optional()])
    weekday = SelectField(_l("Weekday"), default="MO", validators=[Optional()])
    ends = RadioField(
        _l("Ends"),
        choices=[
            SelectChoice("until", _l("On a date")),
            SelectChoice("count", _l("After a number of dates")),
        ],
        default="until",
        validators=[Optional()],
    )
    repeat_until = DateField(_l("Repeat until"), validators=[Optional()])
    count = IntegerField(
        _l("Number of dates"),
        validators=[Optional(), NumberRange(min=1, max=services.MAX_OCCURRENCES)],
    )
    rrule = StringField(
        _l("Recurrence rule (RRULE)"),
        validators=[Optional(), Length(max=300)],
        description=_l(
            "For the advanced choice only. Examples: FREQ=WEEKLY;INTERVAL=2 (every two "
            "weeks); FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR (last Friday of every second month)."
        ),
    )
    preview = SubmitField(_l("Preview the dates"))

    rule_text: str = ""
    dates: list = []
    instants: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "repeat" not in self._fields:
            return
        self.repeat.choices = _choices(services.FREQUENCY_LABELS)
        self.weekdays.choices = _choices(services.WEEKDAY_LABELS)
        self.weekday.choices = _choices(services.WEEKDAY_LABELS)
        self.position.choices = _choices(services.POSITION_LABELS)

    def fill_recurrence(self, rule: str) -> None:
        """Show ``rule`` in the builder (or in the advanced field when it cannot)."""
        choice = services.parse_rule(rule)
        if choice is None:
            self.repeat.data = "custom"
            self.rrule.data = rule
            return
        self.repeat.data = choice.freq
        self.interval.data = choice.interval
        self.weekdays.data = choice.weekdays
        self.monthly.data = choice.monthly
        self.position.data = choice.position
        self.weekday.data = choice.weekday

    def check_recurrence(self, first_local) -> bool:
        """Build the rule and its dates from ``first_local``; False after a field error."""
        self.rule_text, self.dates = "", []
        repeat = self.repeat.data or ""
        raw = (self.rrule.data or "").strip()
        if not repeat and raw:
            repeat = "custom"  # a rule typed without choosing the advanced option
        if not repeat:
            return True
        if repeat == "custom":
            if not raw:
                self.rrule.errors = [*self.rrule.errors, _l("Type the rule.")]
                return False
            rule, at = raw, self.rrule
        else:
            rule = services.build_rule(
                services.Choice(
                    freq=repeat,
                    interval=self.interval.data or 1,
                    weekdays=list(self.weekdays.data or []),
                    monthly=self.monthly.data or "day",
                    position=self.position.data or "1",
                    weekday=self.weekday.data or "MO",
                )
            )
            at = self.repeat
        until = count = None
        if self.ends.data == "count":
            if not self.count.data:
                if not self.count.errors:
                    self.count.errors = [*self.count.errors, _l("Give the number of dates.")]
                return False
            count = self.count.data
        else:
            if not self.repeat_until.data:
                if not self.repeat_until.errors:
                    self.repeat_until.errors = [
                        *self.repeat_until.errors,
                        _l("Give the date the series ends."),
                    ]
                return False
            until = self.repeat_until.data
        own = ("repeat", "interval", "weekdays", "monthly", "position", "weekday", "count")
        if first_local is None or any(self[name].errors for name in (*own, "repeat_until")):
            return False
        try:
            self.dates = services.occurrences(rule, first_local, until, count)
        except services.BadRule:
            at.errors = [
                *at.errors,
                _l(
                    "This rule gives no dates or more than %(n)s, or is not a valid RRULE.",
                    n=services.MAX_OCCURRENCES,
                ),
            ]
            return False
        self.rule_text = rule
        self.instants = [from_local(d) for d in self.dates]
        return True

    def rule_description(self) -> str:
        first = self.dates[0] if self.dates else None
        return services.describe(self.rule_text, first) if self.rule_text else ""


class SeriesRuleForm(RecurrenceForm):
    """A new rule for the future occurrences of a series."""

    starts_from = DateTimeLocalField(
        _l("First date and time under the new rule"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired()],
        description=_l("Occurrences before it, and their registrations, are kept."),
    )

    def __init__(self, *args, now_local=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now_local = now_local

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        start = self.starts_from.data
        if start is not None and self.now_local is not None and start <= self.now_local:
            self.starts_from.errors = [
                *self.starts_from.errors,
                _l("The new rule must start in the future."),
            ]
            return False
        if not (self.repeat.data or (self.rrule.data or "").strip()):
            self.repeat.errors = [*self.repeat.errors, _l("Choose how the series repeats.")]
            return False
        return self.check_recurrence(start) and ok


class EventForm(RecurrenceForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    form = SelectField(_l("Form"), validators=[DataRequired()])
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=20000)],
        description=_l("Markdown: **bold**, lists, links."),
    )
    host_emails = TextAreaField(
        _l("Hosts (emails of members)"),
        validators=[Length(max=2000)],
        description=_l("One email per line; each host must be a member of the association."),
    )
    guest_hosts = TextAreaField(
        _l("Guest hosts"),
        validators=[Length(max=2000)],
        description=_l("One name per line, for hosts who have no account."),
    )
    subjects = SelectMultipleField(_l("Subjects"), coerce=int, validators=[Optional()])
    categories = SelectMultipleField(_l("For qualification categories"), validators=[Optional()])
    min_experience = IntegerField(
        _l("Experience from (years)"), validators=[Optional(), NumberRange(min=0, max=60)]
    )
    max_experience = IntegerField(
        _l("Experience up to (years)"), validators=[Optional(), NumberRange(min=0, max=60)]
    )
    delivery = SelectField(_l("Delivery"), validators=[DataRequired()])
    venue = StringField(_l("Venue"), validators=[Length(max=300)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    meeting_url = StringField(
        _l("Meeting link"),
        validators=[
            Optional(),
            URL(message=_l("Enter a full link (https://...).")),
            http_only,
        ],
        description=_l("Shown only to registered participants and hosts."),
    )
    starts_at = DateTimeLocalField(
        _l("Starts"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    registration_deadline = DateTimeLocalField(
        _l("Registration deadline"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    capacity = IntegerField(
        _l("Seats"),
        validators=[Optional(), NumberRange(min=1, max=100000)],
        description=_l("Leave empty for no limit."),
    )
    credit_hours = FloatField(
        _l("Credit hours"), validators=[Optional(), NumberRange(min=0, max=200)], default=0
    )
    visibility = SelectField(_l("Who may see it"), validators=[DataRequired()])
    scope = RadioField(
        _l("Apply changes to"),
        choices=[
            SelectChoice("one", _l("This occurrence only")),
            SelectChoice("following", _l("This and all following occurrences")),
        ],
        default="one",
    )

    desk_only = BooleanField(
        _l("Check-in only at the host's desk (switch the shared code off)"),
        default=False,
        description=_l(
            "The host checks people in by the personal codes on their tickets; the shared "
            "code then does not work."
        ),
    )
    confirm_hours = IntegerField(
        _l("Hours to confirm a seat from the waitlist"),
        validators=[Optional(), NumberRange(min=1, max=336)],
        description=_l(
            "Leave empty to give a freed seat at once. Otherwise the next person on the "
            "waitlist must confirm within this many hours, or the seat passes on."
        ),
    )
    enforce_audience = BooleanField(
        _l("Registration only for the target audience (categories and subjects)"),
        default=False,
    )

    plan_row = SelectField(
        _l("Row of the activity plan"),
        validators=[Optional()],
        description=_l("The row of the association's plan this event realises, if any."),
    )

    def __init__(self, *args, subjects=(), plan_rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.plan_row.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(rid), label) for rid, label in plan_rows
        ]
        self.form.choices = _choices(services.form_choices())
        self.delivery.choices = _choices(services.DELIVERY_LABELS)
        self.visibility.choices = _choices(services.VISIBILITY_LABELS)
        self.categories.choices = _choices(services.CATEGORY_LABELS)
        self.subjects.choices = [SelectChoice(s.id, s.name) for s in subjects]

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_registration_deadline(self, field):
        if field.data and self.starts_at.data and field.data > self.starts_at.data:
            raise ValidationError(_l("The deadline must not be after the start."))
        opens = self.registration_opens_at.data
        if field.data and opens and field.data < opens:
            raise ValidationError(_l("The deadline must be after registration opens."))

    def validate_max_experience(self, field):
        low = self.min_experience.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError(_l("Must not be less than the lower bound."))

    def validate_venue(self, field):
        if self.delivery.data in (Delivery.FACE, Delivery.HYBRID) and not (
            (field.data or "").strip() or (self.address.data or "").strip()
        ):
            raise ValidationError(_l("Give the venue or the address for a face-to-face event."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if "repeat" not in self._fields:
            return ok
        return self.check_recurrence(self.starts_at.data) and ok

    def host_email_list(self) -> list[str]:
        seen: list[str] = []
        for line in (self.host_emails.data or "").replace(",", "\n").splitlines():
            email = line.strip().lower()
            if email and email not in seen:
                seen.append(email)
        return seen

    def guest_names(self) -> list[str]:
        return [n.strip()[:200] for n in (self.guest_hosts.data or "").splitlines() if n.strip()]


class MaterialForm(QauymForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    phase = SelectField(
        _l("When"),
        choices=[
            SelectChoice(Phase.BEFORE.value, _l("Before the event")),
            SelectChoice(Phase.AFTER.value, _l("After the event")),
        ],
    )
    url = StringField(
        _l("Link"),
        validators=[
            Optional(),
            URL(message=_l("Enter a full link (https://...).")),
            http_only,
        ],
    )
    file = FileField(_l("File"))

    def validate_url(self, field):
        if not field.data and not (self.file.data and getattr(self.file.data, "filename", "")):
            raise ValidationError(_l("Give a link or choose a file."))


class FeedbackForm(QauymForm):
    rating = RadioField(
        _l("Your rating"),
        choices=[SelectChoice(i, str(i)) for i in range(1, 6)],
        coerce=int,
        validators=[InputRequired(message=_l("Choose a rating from 1 to 5."))],
    )
    reflection = TextAreaField(
        _l("Short reflection"),
        validators=[Length(max=2000)],
        description=_l("What will you use in your lessons?"),
    )


class CheckinForm(QauymForm):
    code = StringField(_l("Code shown by the host"), validators=[DataRequired(), Length(max=20)])


class DeskForm(QauymForm):
    """The host's check-in desk: the code on a participant's ticket."""

    code = StringField(
        _l("Code on the participant's ticket"), validators=[DataRequired(), Length(max=20)]
    )


class AddParticipantForm(QauymForm):
    email = StringField(_l("Email of the participant"), validators=[DataRequired(), Email()])


class QuestionForm(QauymForm):
    label = StringField(_l("Question"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(
        _l("Answer"),
        choices=[
            SelectChoice("text", _l("Short text")),
            SelectChoice("choice", _l("One of the options")),
        ],
        default="text",
    )
    options = TextAreaField(
        _l("Options"),
        validators=[Length(max=3000)],
        description=_l("For a choice: one option per line."),
    )
    required = BooleanField(_l("An answer is required"))

    def validate_options(self, field):
        if (
            self.kind.data == "choice"
            and len([o for o in (field.data or "").splitlines() if o.strip()]) < 2
        ):
            raise ValidationError(_l("Give at least two options, one per line."))


class MessageForm(QauymForm):
    audience = RadioField(
        _l("To"),
        choices=[
            SelectChoice("registered", _l("Registered participants")),
            SelectChoice("waitlisted", _l("The waitlist")),
        ],
        default="registered",
    )
    subject = StringField(
        _l("Subject of the message"), validators=[DataRequired(), Length(max=200)]
    )
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=5000)])
