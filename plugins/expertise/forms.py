"""Forms of the expertise plugin (Flask-WTF, CSRF on every POST)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from core.api import Category, QauymForm
from plugins.expertise.services import (
    CATEGORY_LABELS,
    IDENTITY,
    LANGUAGES,
    MATERIAL_TYPES,
    RECOMMENDATIONS,
)


def options(pairs) -> list[SelectChoice]:
    """Choices as WTForms 3.3 wants them (plain tuples are deprecated there)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


GRADES = options((g, str(g)) for g in range(0, 13))


class SubmissionForm(QauymForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    material_type = SelectField(_l("Type of material"), choices=options(MATERIAL_TYPES.items()))
    subject_id = SelectField(_l("Subject"), coerce=int, validators=[InputRequired()])
    grade_from = SelectField(_l("From grade"), coerce=int, choices=GRADES, default=5)
    grade_to = SelectField(_l("To grade"), coerce=int, choices=GRADES, default=5)
    language = SelectField(_l("Language of instruction"), choices=options(LANGUAGES.items()))
    abstract = TextAreaField(_l("Abstract"), validators=[DataRequired(), Length(max=5000)])
    keywords = StringField(
        _l("Keywords"),
        validators=[Length(max=300)],
        description=_l("Separated by commas."),
    )
    coauthors = SelectMultipleField(_l("Co-authors"), coerce=int, validators=[Optional()])
    files = MultipleFileField(
        _l("Files"), description=_l("PDF, DOCX, PPTX or ODT. You may choose several files.")
    )

    def validate_grade_to(self, field) -> None:
        start = self.grade_from.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError(_l("The last grade cannot be before the first."))


class ResubmitForm(QauymForm):
    note = TextAreaField(_l("What changed"), validators=[DataRequired(), Length(max=5000)])
    files = MultipleFileField(_l("Files of the new version"))


class NoteForm(QauymForm):
    note = TextAreaField(_l("Note"), validators=[Length(max=5000)])
    override = TextAreaField(
        _l("Reason for deciding without all reviews"), validators=[Length(max=2000)]
    )


class AssignForm(QauymForm):
    expert_id = HiddenField(validators=[DataRequired()])


class ReasonForm(QauymForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=2000)])


class ConflictForm(QauymForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ResponseForm(QauymForm):
    response = TextAreaField(
        _l("Your response to this review"), validators=[DataRequired(), Length(max=5000)]
    )


class CommentForm(QauymForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=3000)])
    parent_id = HiddenField()


class BidForm(QauymForm):
    value = SelectField(_l("Your bid"), validators=[Optional()])


class BalanceForm(QauymForm):
    """The preview's confirmation; the chosen experts are read from ``x-<material id>``."""


class DiscussionForm(QauymForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=5000)])


class MetaReviewForm(QauymForm):
    body = TextAreaField(
        _l("Coordinator's summary"),
        validators=[DataRequired(), Length(max=10000)],
        description=_l(
            "Explain the decision. Published with the expert reviews once the round is decided."
        ),
    )


class SettingsForm(QauymForm):
    experts_per_round = IntegerField(
        _l("Experts per round"), validators=[InputRequired(), NumberRange(1, 5)]
    )
    min_category = SelectField(
        _l("Members with this category or higher are experts"),
        choices=options(
            [("", _l("Only members with the expert role"))]
            + [(c.value, CATEGORY_LABELS[c.value]) for c in Category if c is not Category.NONE]
        ),
    )
    reviewer_identity = SelectField(_l("Reviewers' names"), choices=options(IDENTITY.items()))
    hide_until_decision = BooleanField(_l("Only the coordinator sees reviews until the decision"))
    respond_days = IntegerField(
        _l("Days to accept an invitation"), validators=[InputRequired(), NumberRange(1, 60)]
    )
    review_days = IntegerField(
        _l("Days to write a review"), validators=[InputRequired(), NumberRange(1, 120)]
    )
    rereview_years = IntegerField(
        _l("Re-review after (years)"), validators=[InputRequired(), NumberRange(1, 10)]
    )
    load_cap = IntegerField(
        _l("Most open assignments per expert"),
        validators=[InputRequired(), NumberRange(1, 50)],
        description=_l("Balanced assignment gives nobody more invitations than this."),
    )
    review_hours = FloatField(
        _l("Portfolio hours for a completed review"),
        validators=[InputRequired(), NumberRange(0, 40)],
    )


class RubricForm(QauymForm):
    name = StringField(_l("Name of the rubric"), validators=[DataRequired(), Length(max=200)])
    scale_max = IntegerField(
        _l("Highest score"),
        validators=[InputRequired(), NumberRange(1, 10)],
        description=_l("Scores go from 0 to this number."),
    )


class CriterionForm(QauymForm):
    title = StringField(_l("Criterion"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    weight = FloatField(_l("Weight"), validators=[InputRequired(), NumberRange(0.1, 100)])
    levels = TextAreaField(
        _l("Level descriptors"),
        validators=[DataRequired()],
        description=_l("One line per score level, lowest first."),
    )


def review_form(rubric, formdata=None):
    """A review form with one score and one comment per criterion of ``rubric``."""

    class ReviewForm(QauymForm):
        recommendation = RadioField(
            _l("Overall recommendation"),
            choices=options(RECOMMENDATIONS.items()),
            validators=[InputRequired()],
        )
        to_author = TextAreaField(
            _l("Comments to the author"), validators=[DataRequired(), Length(max=10000)]
        )
        confidential = TextAreaField(
            _l("Confidential note to the coordinator"),
            validators=[Length(max=5000)],
            description=_l("Never shown to the author or members."),
        )

    for c in rubric.criteria:
        choices = options(
            (i, f"{i} — {c.levels[i]}" if i < len(c.levels) else str(i))
            for i in range(rubric.scale_max + 1)
        )
        setattr(
            ReviewForm,
            f"score_{c.id}",
            RadioField(c.title, choices=choices, coerce=int, validators=[InputRequired()]),
        )
        setattr(
            ReviewForm,
            f"comment_{c.id}",
            TextAreaField(_l("Comment"), validators=[Length(max=3000)]),
        )
    return ReviewForm(formdata=formdata) if formdata is not None else ReviewForm()
