"""Governance forms; choices that depend on the association are filled in by the views."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.api import QauymForm, ReasonableDate
from plugins.governance.services import KIND_LABELS, MODE_LABELS, POSITION_LABELS

DT_FORMAT = "%Y-%m-%dT%H:%M"


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ItemForm(Form):
    title = StringField(_l("Agenda item"), validators=[Optional(), Length(max=300)])
    motion = TextAreaField(
        _l("Motion (leave empty when there is nothing to vote on)"),
        validators=[Optional(), Length(max=2000)],
    )
    ballot = SelectField(
        _l("Vote"),
        choices=[
            SelectChoice("open", _l("Open vote at the meeting")),
            SelectChoice("online", _l("Online ballot with a deadline")),
        ],
        default="open",
    )
    deadline = DateTimeLocalField(
        _l("Online ballot deadline"), format=DT_FORMAT, validators=[Optional(), ReasonableDate()]
    )


class MeetingForm(QauymForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()], default="regular"
    )
    mode = SelectField(
        _l("Form"),
        choices=[SelectChoice(k, v) for k, v in MODE_LABELS.items()],
        default="in_person",
    )
    starts_at = DateTimeLocalField(
        _l("Date and time"), format=DT_FORMAT, validators=[InputRequired()]
    )
    place = StringField(_l("Place"), validators=[Optional(), Length(max=300)])
    link = StringField(_l("Link for online participants"), validators=[Optional(), Length(max=500)])
    items = FieldList(FormField(ItemForm), min_entries=5, max_entries=20)
    plan_row = SelectField(
        _l("Row of the activity plan"),
        validators=[Optional()],
        description=_l("The row of the association's plan this meeting realises, if any."),
    )

    def __init__(self, *args, plan_rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.plan_row.choices = [SelectChoice("", "—")] + [
            SelectChoice(str(rid), label) for rid, label in plan_rows
        ]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.mode.data in ("in_person", "hybrid") and not (self.place.data or "").strip():
            self.place.errors.append(_l("Give the place of a meeting held in person."))
            ok = False
        link = (self.link.data or "").strip()
        if self.mode.data in ("online", "hybrid") and not link:
            self.link.errors.append(_l("Give the link of an online meeting."))
            ok = False
        if link and not link.startswith(("https://", "http://")):
            self.link.errors.append(_l("The link must start with https://"))
            ok = False
        titled = 0
        for entry in self.items:
            item = entry.form
            if (item.motion.data or "").strip() and not (item.title.data or "").strip():
                item.title.errors.append(_l("Give the agenda item's title."))
                ok = False
            if (item.title.data or "").strip():
                titled += 1
            online = (item.motion.data or "").strip() and item.ballot.data == "online"
            if online and item.deadline.data is None:
                item.deadline.errors.append(_l("An online ballot needs a deadline."))
                ok = False
        if titled == 0:
            self.items[0].form.title.errors.append(_l("The agenda needs at least one item."))
            ok = False
        return ok


class AttendanceForm(QauymForm):
    present = CheckboxesField(_l("Present"), coerce=int, choices=[])


class CheckInForm(QauymForm):
    code = StringField(_l("Meeting code"), validators=[DataRequired(), Length(max=20)])


class VoteForm(QauymForm):
    choice = SelectField(
        _l("Your vote"),
        choices=[
            SelectChoice("for", _l("For")),
            SelectChoice("against", _l("Against")),
            SelectChoice("abstain", _l("Abstain")),
        ],
    )


class MinutesForm(QauymForm):
    body = TextAreaField(_l("Minutes"), validators=[DataRequired(), Length(max=50000)])
    public = BooleanField(_l("Publish to everyone (otherwise to members only)"))


class SettingsForm(QauymForm):
    notice_days = IntegerField(
        _l("Notice sent this many days before a meeting"),
        validators=[InputRequired(), NumberRange(min=1, max=90)],
    )
    meetings_per_year = IntegerField(
        _l("General meetings a year, at least"), validators=[InputRequired(), NumberRange(1, 12)]
    )
    decision_num = IntegerField(
        _l("Decisions: share of those present (numerator)"),
        validators=[InputRequired(), NumberRange(1, 10)],
    )
    decision_den = IntegerField(
        _l("Decisions: share of those present (denominator)"),
        validators=[InputRequired(), NumberRange(1, 10)],
    )
    chair_term_months = IntegerField(
        _l("Chair's term, months"), validators=[InputRequired(), NumberRange(1, 120)]
    )
    council_term_months = IntegerField(
        _l("Council's term, months"), validators=[InputRequired(), NumberRange(1, 120)]
    )
    council_min = IntegerField(
        _l("Council members, at least"), validators=[InputRequired(), NumberRange(1, 200)]
    )
    minutes_public = BooleanField(_l("Publish approved minutes to everyone by default"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.decision_num.data > self.decision_den.data:
            self.decision_num.errors.append(_l("The share cannot be more than the whole."))
            ok = False
        return ok


class ElectionForm(QauymForm):
    position = SelectField(
        _l("Position"), choices=[SelectChoice(k, v) for k, v in POSITION_LABELS.items()]
    )
    label = StringField(
        _l("Subject group or region (if any)"), validators=[Optional(), Length(max=200)]
    )
    seats = IntegerField(_l("Seats"), default=1, validators=[InputRequired(), NumberRange(1, 100)])
    term_months = IntegerField(
        _l("Term, months"), default=12, validators=[InputRequired(), NumberRange(1, 120)]
    )


class NominateForm(QauymForm):
    candidate = SelectField(_l("Candidate"), coerce=int, choices=[])


class StartVotingForm(QauymForm):
    deadline = DateTimeLocalField(
        _l("Voting deadline (optional)"), format=DT_FORMAT, validators=[Optional()]
    )


class BallotForm(QauymForm):
    choices = CheckboxesField(_l("Your choice"), coerce=int, choices=[])


class PetitionForm(QauymForm):
    reason = TextAreaField(
        _l("Why an extraordinary general meeting is needed"),
        validators=[DataRequired(), Length(max=3000)],
    )


class ExclusionForm(QauymForm):
    member = SelectField(_l("Member"), coerce=int, choices=[])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=3000)])


class ResponseForm(QauymForm):
    response = TextAreaField(_l("Your response"), validators=[DataRequired(), Length(max=3000)])


class ExclusionVoteForm(QauymForm):
    choice = SelectField(
        _l("Your vote"),
        choices=[SelectChoice("for", _l("Exclude")), SelectChoice("against", _l("Do not exclude"))],
    )
