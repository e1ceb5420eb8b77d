"""Forum forms (Flask-WTF, CSRF on)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core.api import MAX_ID, QauymForm
from plugins.forum.models import BoardVisibility, FlagReason, OfficialStatus, TopicKind

MAX_BODY = 20000


class BoardForm(QauymForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    visibility = RadioField(
        _l("Who can read"),
        choices=[
            (BoardVisibility.MEMBERS.value, _l("Members of the association only")),
            (BoardVisibility.PUBLIC.value, _l("Everyone, also without an account")),
        ],
        default=BoardVisibility.MEMBERS.value,
    )
    premoderate = BooleanField(_l("Moderators approve every post before it is shown"))
    moderate_first_posts = IntegerField(
        _l("Approve the first posts of each member"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=50)],
        description=_l("0 turns this off."),
    )
    allow_anonymous = BooleanField(_l("Allow anonymous posts (moderators still see the author)"))
    officials = BooleanField(_l("Questions may be addressed to officials"))


def _poll_options(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class PostForm(QauymForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MAX_BODY)])
    attachments = MultipleFileField(_l("Attach files"))
    anonymous = BooleanField(_l("Post anonymously"))


def _tags_field() -> StringField:
    return StringField(
        _l("Tags"),
        description=_l("Up to 5 words, separated by commas or spaces, e.g. algebra, grade-7."),
        validators=[Optional(), Length(max=300)],
    )


def _check_tags(form, field) -> None:
    from plugins.forum import tags

    message = tags.problem(field.data)
    if message is not None:
        raise ValidationError(message)


class TagsForm(QauymForm):
    tags = _tags_field()
    validate_tags = _check_tags


class TopicForm(PostForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=3, max=200)])
    tags = _tags_field()
    validate_tags = _check_tags
    kind = RadioField(
        _l("Kind"),
        choices=[
            (TopicKind.DISCUSSION.value, _l("Discussion")),
            (TopicKind.QUESTION.value, _l("Question")),
        ],
        default=TopicKind.DISCUSSION.value,
    )
    addressed_to = StringField(
        _l("Address the question to (e.g. the district education department)"),
        validators=[Optional(), Length(max=200)],
    )
    poll_question = StringField(_l("Poll question"), validators=[Optional(), Length(max=300)])
    poll_options = TextAreaField(
        _l("Poll options, one per line"), validators=[Optional(), Length(max=4000)]
    )
    poll_multiple = BooleanField(_l("Several answers may be chosen"))
    poll_closes_at = DateTimeLocalField(
        _l("Poll closes at"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )

    def validate_poll_options(self, field):
        options = _poll_options(field.data)
        if self.poll_question.data and not 2 <= len(options) <= 20:
            raise ValidationError(_l("Give between 2 and 20 options."))
        if options and not self.poll_question.data:
            raise ValidationError(_l("Write the poll question too."))
        if any(len(o) > 200 for o in options):
            raise ValidationError(_l("An option is longer than 200 characters."))

    addressee = SelectField(
        _l("Or address it to an official's account"), coerce=int, default=0, choices=[]
    )

    def validate_addressed_to(self, field):
        if field.data and self.kind.data != TopicKind.QUESTION:
            raise ValidationError(_l("Only a question can be addressed to officials."))

    def validate_addressee(self, field):
        if field.data and self.kind.data != TopicKind.QUESTION:
            raise ValidationError(_l("Only a question can be addressed to officials."))

    @property
    def options(self) -> list[str]:
        return _poll_options(self.poll_options.data)


class EditPostForm(QauymForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(min=3, max=200)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MAX_BODY)])


class FlagForm(QauymForm):
    reason = SelectField(
        _l("Reason"),
        choices=[
            (FlagReason.SPAM.value, _l("Spam or advertising")),
            (FlagReason.OFFENSIVE.value, _l("Offensive or rude")),
            (FlagReason.FALSE_ACCUSATION.value, _l("False accusation")),
            (FlagReason.OFF_TOPIC.value, _l("Off topic")),
            (FlagReason.OTHER.value, _l("Something else")),
        ],
    )
    note = TextAreaField(_l("Note for the moderators"), validators=[Length(max=1000)])


class BanForm(QauymForm):
    user_id = IntegerField(_l("Member"), validators=[DataRequired(), NumberRange(1, MAX_ID)])
    days = IntegerField(
        _l("Days"), default=7, validators=[DataRequired(), NumberRange(min=1, max=3650)]
    )
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


class MoveForm(QauymForm):
    board_id = SelectField(_l("Move to board"), coerce=int)


class OfficialForm(QauymForm):
    status = SelectField(
        _l("Status"),
        choices=[
            (OfficialStatus.OPEN.value, _l("Open")),
            (OfficialStatus.ANSWERED.value, _l("Answered")),
            (OfficialStatus.CLOSED.value, _l("Closed")),
        ],
    )


class SearchForm(QauymForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search the forum"), validators=[Optional(), Length(max=100)])
    association = SelectField(_l("Association"), coerce=str, validators=[Optional()])
    # Read by the view with core.services.web.int_arg: a bad value is ignored, not an error.
    board = StringField(_l("Board"), validators=[Optional()])
    author = StringField(_l("Author"), validators=[Optional()])
    since = StringField(_l("From"), validators=[Optional()])
    until = StringField(_l("To"), validators=[Optional()])


class SplitForm(QauymForm):
    """Move the posts chosen by their checkboxes (``post`` values, read by the view) to a new
    topic or into an existing one (its number or address)."""

    destination = RadioField(
        _l("Move the chosen messages"),
        choices=[("new", _l("to a new topic")), ("existing", _l("into an existing topic"))],
        default="new",
    )
    title = StringField(_l("Title of the new topic"), validators=[Optional(), Length(max=200)])
    board_id = SelectField(_l("Board of the new topic"), coerce=int, validate_choice=False)
    target = StringField(
        _l("Existing topic: its number or address"), validators=[Optional(), Length(max=300)]
    )


class MergeForm(QauymForm):
    merge_target = StringField(
        _l("Merge into the topic (its number or address)"),
        validators=[DataRequired(), Length(max=300)],
    )


class OfficialAccountForm(QauymForm):
    """A manager adds an account questions may be addressed to."""

    email = StringField(
        _l("Email of the account registered on the site"),
        validators=[DataRequired(), Length(max=254)],
    )
    title = StringField(
        _l("Shown to askers as (e.g. Head of the district education department)"),
        validators=[DataRequired(), Length(max=200)],
    )
