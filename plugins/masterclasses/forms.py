"""Forms of the master classes plugin. Times are typed in the site time zone."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
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

from core.api import QauymForm
from plugins.masterclasses import services
from plugins.masterclasses.models import Delivery, Phase


def http_only(form, field):
    """Links must be http(s): a ``javascript:`` URL would run in the page when clicked."""
    value = (field.data or "").strip().lower()
    if value and not value.startswith(("http://", "https://")):
        raise ValidationError(_l("Enter a full link (https://...)."))


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(str(k), str(v)) for k, v in labels.items()]


class EventForm(QauymForm):
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
    rrule = StringField(
        _l("Repeat (recurrence rule)"),
        validators=[Optional(), Length(max=300)],
        description=_l(
            "Leave empty for a single event. Examples: FREQ=WEEKLY;INTERVAL=2 (every two "
            "weeks); FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR (last Friday of every second month)."
        ),
    )
    repeat_until = DateField(_l("Repeat until"), validators=[Optional()])
    scope = RadioField(
        _l("Apply changes to"),
        choices=[
            SelectChoice("one", _l("This occurrence only")),
            SelectChoice("following", _l("This and all following occurrences")),
        ],
        default="one",
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

    def validate_rrule(self, field):
        if not (field.data or "").strip():
            return
        if not self.repeat_until.data:
            return  # reported on repeat_until
        if not self.starts_at.data:
            return
        try:
            services.occurrences(field.data, self.starts_at.data, self.repeat_until.data)
        except services.BadRule as exc:
            raise ValidationError(
                _l(
                    "This rule gives no dates or more than %(n)s, or is not a valid RRULE.",
                    n=services.MAX_OCCURRENCES,
                )
            ) from exc

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Checked here: Optional() stops the field's own chain when the date is empty.
        if "rrule" not in self._fields:
            return ok
        if (self.rrule.data or "").strip() and not self.repeat_until.data:
            self.repeat_until.errors = [
                *self.repeat_until.errors,
                _l("Give the date the series ends."),
            ]
            return False
        return ok

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


class AddParticipantForm(QauymForm):
    email = StringField(_l("Email of the participant"), validators=[DataRequired(), Email()])
