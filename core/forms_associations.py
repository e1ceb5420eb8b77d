"""Forms and display labels for associations, membership and the admin area."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from core.forms import QauymForm
from core.models import AssociationKind, JoinPolicy, LegalStatus, Level, Lifespan, Role
from core.services.associations import ROLE_LABELS

LEVEL_LABELS: dict[str, Any] = {
    Level.SCHOOL.value: _l("school"),
    Level.DISTRICT.value: _l("district"),
    Level.CITY.value: _l("city"),
    Level.REGION.value: _l("region"),
    Level.REPUBLIC.value: _l("republic"),
    Level.NETWORK.value: _l("network of schools"),
    Level.INTERNATIONAL.value: _l("international"),
}

KIND_LABELS: dict[str, Any] = {
    AssociationKind.METHODOLOGICAL.value: _l("methodological association"),
    AssociationKind.SUBJECT.value: _l("subject association"),
    AssociationKind.ASSOCIATION_OF_ASSOCIATIONS.value: _l("association of associations"),
    AssociationKind.CLUB.value: _l("club"),
    AssociationKind.NETWORK.value: _l("network community"),
    AssociationKind.CREATIVE_GROUP.value: _l("creative group"),
    AssociationKind.WORKSHOP.value: _l("pedagogical workshop"),
    AssociationKind.BEST_PRACTICE_SCHOOL.value: _l("school of best practice"),
    AssociationKind.SUBJECT_CYCLE_COMMISSION.value: _l("subject-cycle commission"),
    AssociationKind.CREATIVE_LAB.value: _l("creative laboratory"),
    AssociationKind.YOUNG_TEACHERS.value: _l("young teachers' association"),
}

LEGAL_LABELS: dict[str, Any] = {
    LegalStatus.INFORMAL.value: _l("informal"),
    LegalStatus.REGISTERED.value: _l("registered legal entity"),
}

LIFESPAN_LABELS: dict[str, Any] = {
    Lifespan.SHORT_TERM.value: _l("short-term"),
    Lifespan.LONG_TERM.value: _l("long-term"),
    Lifespan.PERMANENT.value: _l("permanent"),
}

POLICY_LABELS: dict[str, Any] = {
    JoinPolicy.OPEN.value: _l("open: anyone may join"),
    JoinPolicy.REQUEST.value: _l("by request: leaders decide"),
    JoinPolicy.INVITE.value: _l("by invitation only"),
}

ROLE_CHOICES = [SelectChoice(r.value, ROLE_LABELS[r]) for r in Role]
EMPTY = SelectChoice("", "—")


def choices(mapping: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, text) for value, text in mapping.items()]


SLUG_RE = r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$"
MAX_CYCLOGRAM_ROWS = 50


def label(mapping: dict[str, Any], value: str | None) -> str:
    """The translated label of a stored value; the raw value when unknown (old data)."""
    return str(mapping.get(value or "", value or ""))


def parse_cyclogram(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Rows ``activity | frequency`` (one a line; the frequency is optional) and the errors
    found, each naming its line."""
    rows: list[tuple[str, str]] = []
    errors: list[str] = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        activity, _sep, frequency = (p.strip() for p in line.partition("|"))
        if "|" in frequency:
            errors.append(_("Line %(n)s: use one “|” between activity and frequency.", n=n))
        elif not activity:
            errors.append(_("Line %(n)s: the activity is missing before “|”.", n=n))
        elif len(activity) > 300 or len(frequency) > 200:
            errors.append(_("Line %(n)s is too long.", n=n))
        else:
            rows.append((activity, frequency))
    if len(rows) > MAX_CYCLOGRAM_ROWS:
        errors.append(_("At most %(n)s rows.", n=MAX_CYCLOGRAM_ROWS))
    return rows, errors


def cyclogram_text(items) -> str:
    return "\n".join(f"{i.activity} | {i.frequency}" if i.frequency else i.activity for i in items)


def _int_or_none(value: Any) -> int | None:
    if value in (None, "", "0", 0, "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class JoinRequestForm(QauymForm):
    message = TextAreaField(
        _l("Message to the leaders (optional)"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Who you are and why you want to join."),
    )


class DeclineForm(QauymForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give a reason: the applicant will read it.")),
            Length(max=1000),
        ],
    )


class InviteForm(QauymForm):
    email = EmailField(
        _l("Email of a registered user"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.MEMBER.value)


class RoleForm(QauymForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class AssociationForm(QauymForm):
    """The association's record and charter. ``region`` and ``district`` are only editable by
    administrators (the view removes them for leaders); ``slug`` and ``leader_email`` only
    exist when creating."""

    slug = StringField(
        _l("Web address (slug)"),
        validators=[
            DataRequired(),
            Regexp(SLUG_RE, message=_l("Use 3–80 lower-case Latin letters, digits and hyphens.")),
        ],
        description=_l("Used in the address: /a/<slug>. Cannot be changed later."),
    )
    name_kk = StringField(_l("Name in Kazakh"), validators=[DataRequired(), Length(max=300)])
    name_ru = StringField(_l("Name in Russian"), validators=[Optional(), Length(max=300)])
    abbr_kk = StringField(_l("Abbreviation in Kazakh"), validators=[Optional(), Length(max=40)])
    abbr_ru = StringField(_l("Abbreviation in Russian"), validators=[Optional(), Length(max=40)])
    kind = SelectField(_l("Kind"), choices=choices(KIND_LABELS))
    level = SelectField(_l("Level"), choices=choices(LEVEL_LABELS))
    # No Optional(): it would skip validate_region; the empty choice maps to None.
    region = SelectField(_l("Region"), coerce=_int_or_none)
    district = SelectField(_l("District"), coerce=_int_or_none, validators=[Optional()])
    host_organisation = StringField(
        _l("Host organisation"), validators=[Optional(), Length(max=300)]
    )
    parent = SelectField(_l("Parent association"), coerce=_int_or_none, validators=[Optional()])
    subjects = SelectMultipleField(_l("Subjects"), coerce=int, validators=[Optional()])
    legal_status = SelectField(_l("Legal status"), choices=choices(LEGAL_LABELS))
    lifespan = SelectField(_l("Lifespan"), choices=choices(LIFESPAN_LABELS))
    join_policy = SelectField(_l("Joining"), choices=choices(POLICY_LABELS))
    contacts = TextAreaField(_l("Contacts"), validators=[Optional(), Length(max=2000)])
    description = TextAreaField(_l("About (Markdown)"), validators=[Optional(), Length(max=20000)])
    # The charter: each section in Kazakh (``<name>_kk``) and Russian (``<name>_ru``), edited
    # side by side (CHARTER_SECTIONS gives the titles; the fields are added below the class).
    cyclogram_kk = TextAreaField(
        _l("Cyclogram in Kazakh"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "One recurring activity a line: activity | how often. "
            "Example: Online meeting | every two weeks"
        ),
    )
    cyclogram_ru = TextAreaField(
        _l("Cyclogram in Russian"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "One recurring activity a line: activity | how often. "
            "Example: Online meeting | every two weeks"
        ),
    )

    leader_email = EmailField(
        _l("Email of the first leader (optional)"),
        validators=[Optional(), Email(), Length(max=254)],
        description=_l("A registered user who becomes the association's leader at once."),
    )

    # Set by the view: which ids are allowed, for checks that go beyond the choices.
    district_regions: dict[int, int]
    forbidden_parents: set[int]
    region_required: bool = False

    def validate_region(self, field) -> None:
        if self.region_required and field.data is None:
            raise ValidationError(_("Choose a region."))

    def validate_cyclogram_kk(self, field) -> None:
        _rows, errors = parse_cyclogram(field.data or "")
        if errors:
            raise ValidationError(" ".join(errors))

    def validate_cyclogram_ru(self, field) -> None:
        self.validate_cyclogram_kk(field)

    def validate_district(self, field) -> None:
        if "region" not in self._fields or field.data is None:
            return
        if self.district_regions.get(field.data) != self.region.data:
            raise ValidationError(_("This district is not in the chosen region."))

    def validate_parent(self, field) -> None:
        if field.data is not None and field.data in self.forbidden_parents:
            raise ValidationError(
                _("An association cannot be placed under itself or one of its own sub-units.")
            )


# The charter's sections: (name, title, title in Kazakh, title in Russian, longest text).
CHARTER_SECTIONS = [
    ("topic", _l("Topic"), _l("Topic in Kazakh"), _l("Topic in Russian"), 5000),
    ("priority", _l("Priority"), _l("Priority in Kazakh"), _l("Priority in Russian"), 5000),
    ("problem", _l("Problem"), _l("Problem in Kazakh"), _l("Problem in Russian"), 5000),
    ("goals", _l("Goals"), _l("Goals in Kazakh"), _l("Goals in Russian"), 5000),
    ("tasks", _l("Tasks"), _l("Tasks in Kazakh"), _l("Tasks in Russian"), 5000),
    (
        "expected_results",
        _l("Expected results"),
        _l("Expected results in Kazakh"),
        _l("Expected results in Russian"),
        5000,
    ),
    (
        "rules",
        _l("Community rules"),
        _l("Community rules in Kazakh"),
        _l("Community rules in Russian"),
        10000,
    ),
]
for _name, _title, _kk_label, _ru_label, _max in CHARTER_SECTIONS:
    setattr(
        AssociationForm,
        f"{_name}_kk",
        TextAreaField(_kk_label, validators=[Optional(), Length(max=_max)]),
    )
    setattr(
        AssociationForm,
        f"{_name}_ru",
        TextAreaField(_ru_label, validators=[Optional(), Length(max=_max)]),
    )


class RegionAdminForm(QauymForm):
    email = EmailField(_l("User's email"), validators=[DataRequired(), Email(), Length(max=254)])
    region = SelectField(_l("Region"), coerce=_int_or_none, validators=[DataRequired()])


class SwitchForm(QauymForm):
    """A plugin switch. The submit button carries ``switch`` = ``"<plugin>:<1|0>"`` (on or
    off), so one form per region row serves every plugin; ``region`` is set on the region
    page and absent on an association's page."""

    switch = HiddenField(validators=[DataRequired(), Regexp(r"^[a-z0-9_]+:[01]$")])
    region = HiddenField(validators=[Optional(), Regexp(r"^\d+$")])
    next = HiddenField()

    @property
    def plugin(self) -> str:
        return self.switch.data.split(":")[0]

    @property
    def enabled(self) -> bool:
        return self.switch.data.endswith(":1")
