"""Account forms: registration, profile, passwords.

Choices for places, schools and subjects come from the database, so a view calls
:func:`load_choices` on a form before validating or rendering it. Cross-field checks (the
district lies in the region, the school in the district) live in ``validate`` so that every
error is shown next to its field and nothing is written before the whole form is valid.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from core.collation import sort_by, sort_key
from core.extensions import db
from core.forms import QauymForm
from core.i18n import LANGUAGE_NAMES, current_locale
from core.labels import CATEGORY_LABELS  # noqa: F401 - re-exported
from core.models import Category, District, Region, RegionKind, School, Subject, User
from core.services import handles

MIN_PASSWORD = 8
EMPTY = SelectChoice("", "—")


def _id_or_none(value: Any) -> int | None:
    if value in ("", None):
        return None
    return int(value)


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes sharing one name: works without JavaScript, unlike a multi-select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _password_field(label: Any) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Enter a password.")),
            Length(
                min=MIN_PASSWORD,
                max=200,
                message=_l("The password must have at least %(min)d characters."),
            ),
        ],
    )


def _confirm_field(label: Any, other: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Repeat the password.")),
            EqualTo(other, message=_l("The two passwords differ.")),
        ],
    )


def email_taken(email: str, except_user: User | None = None) -> bool:
    query = select(User.id).where(func.lower(User.email) == email.strip().lower())
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return db.session.scalar(query.limit(1)) is not None


class ProfileFieldsForm(QauymForm):
    """Fields shared by registration and profile editing."""

    full_name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Enter your full name.")),
            Length(max=200, message=_l("At most %(max)d characters.")),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    region = SelectField(
        _l("Region"),
        coerce=_id_or_none,
        validators=[InputRequired(message=_l("Choose your region."))],
        invalid_choice_message=_l("Choose your region."),
    )
    district = SelectField(
        _l("District"),
        coerce=_id_or_none,
        invalid_choice_message=_l("Choose a district from the list."),
    )
    school = SelectField(
        _l("School"),
        coerce=_id_or_none,
        invalid_choice_message=_l("Choose a school from the list."),
    )
    new_school = StringField(
        _l("Or type the name of your school"),
        validators=[Optional(), Length(max=300, message=_l("At most %(max)d characters."))],
        filters=[lambda v: " ".join(v.split()) if isinstance(v, str) else v],
        description=_l("If your school is not in the list, it will be added to your district."),
    )
    subjects = MultiCheckboxField(
        _l("Subjects you teach"),
        coerce=int,
        invalid_choice_message=_l("Choose subjects from the list."),
    )
    category = SelectField(
        _l("Qualification category"),
        choices=[SelectChoice(value, label) for value, label in CATEGORY_LABELS.items()],
        default=Category.NONE.value,
        invalid_choice_message=_l("Choose a category from the list."),
    )
    experience_years = IntegerField(
        _l("Years of teaching experience"),
        validators=[
            InputRequired(
                message=_l("Enter your years of experience (0 if you are just starting).")
            ),
            NumberRange(min=0, max=60, message=_l("Enter a number from %(min)s to %(max)s.")),
        ],
        default=0,
    )
    locale = SelectField(
        _l("Interface language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        invalid_choice_message=_l("Choose a language from the list."),
    )

    # Set by load_choices: id -> row, for the cross-field checks.
    _districts: dict[int, District]
    _schools: dict[int, School]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        region_id, district_id = self.region.data, self.district.data
        district = self._districts.get(district_id) if district_id else None
        if region_id and not self.region.errors:
            needs_district = any(d.region_id == region_id for d in self._districts.values())
            if district is None and needs_district and not self.district.errors:
                self.district.errors.append(_l("Choose your district."))
                ok = False
            elif district is not None and district.region_id != region_id:
                self.district.errors.append(_l("This district is not in the chosen region."))
                ok = False
        if self.school.errors or self.new_school.errors:
            return False
        school = self._schools.get(self.school.data) if self.school.data else None
        if school is not None and self.new_school.data:
            self.new_school.errors.append(
                _l("Either choose a school from the list or type a new one, not both.")
            )
            ok = False
        elif school is None and not self.new_school.data:
            self.school.errors.append(_l("Choose your school or type its name below."))
            ok = False
        elif (
            school is not None
            and not (self.region.errors or self.district.errors)
            and (school.region_id != region_id or (district and school.district_id != district.id))
        ):
            self.school.errors.append(_l("This school is not in the chosen district."))
            ok = False
        return ok

    def apply_to(self, user: User) -> None:
        """Copy the validated fields onto ``user``, creating the typed school if needed."""
        user.full_name = self.full_name.data
        user.region_id = self.region.data
        user.district_id = self.district.data
        if self.school.data:
            user.school = self._schools[self.school.data]
        else:
            user.school = find_or_create_school(
                self.new_school.data, self.region.data, self.district.data
            )
        ids = set(self.subjects.data or [])
        user.subjects = (
            list(db.session.scalars(select(Subject).where(Subject.id.in_(ids)))) if ids else []
        )
        user.category = self.category.data
        user.experience_years = self.experience_years.data
        user.locale = self.locale.data


def find_or_create_school(name: str, region_id: int, district_id: int | None) -> School:
    """The school of that name in the district (ignoring case), or a new one added to the
    session. Stops duplicates when two teachers of one school both type its name. Compared
    in Python because SQLite's lower() leaves Cyrillic letters alone; a district has few
    schools."""
    query = select(School).where(School.region_id == region_id)
    query = query.where(
        School.district_id == district_id if district_id else School.district_id.is_(None)
    )
    wanted = name.casefold()
    for school in db.session.scalars(query):
        if school.name.casefold() == wanted:
            return school
    school = School(name=name, region_id=region_id, district_id=district_id)
    db.session.add(school)
    return school


def load_choices(form: ProfileFieldsForm, region_id: int | None = None) -> ProfileFieldsForm:
    """Fill the place, school, subject and language choices from the database.

    Districts are grouped by region and schools by district with ``<optgroup>``, so the form
    works without JavaScript; names follow the reader's language. With ``region_id`` (the
    registration's second step) only that region's districts and schools are offered. Every
    option carries ``data-region`` for the live filter of ``core/static/register.js``.
    """
    loc = current_locale()
    regions = db.session.scalars(
        select(Region).options(selectinload(Region.districts)).order_by(Region.name_kk)
    ).all()
    regions = sorted(
        regions, key=lambda r: (r.kind == RegionKind.CITY, sort_key(r.name_in(loc), loc))
    )
    form.region.choices = [EMPTY] + [SelectChoice(r.id, r.name_in(loc)) for r in regions]
    if region_id not in {r.id for r in regions}:
        region_id = None
    form._districts = {d.id: d for r in regions for d in r.districts}
    form.district.choices = [EMPTY] + [
        SelectChoice(d.id, d.name_in(loc), render_kw={"data-region": r.id}, optgroup=r.name_in(loc))
        for r in regions
        if region_id is None or r.id == region_id
        for d in sort_by(r.districts, lambda d: d.name_in(loc), loc)
    ]

    region_names = {r.id: r.name_in(loc) for r in regions}

    def school_group(s: School) -> str:
        district = form._districts.get(s.district_id)
        region = region_names.get(s.region_id, "")
        return f"{district.name_in(loc)} ({region})" if district is not None else region

    query = select(School)
    if region_id is not None:
        query = query.where(School.region_id == region_id)
    schools = db.session.scalars(query).all()
    form._schools = {s.id: s for s in schools}
    # Sorted by group first: consecutive options with one optgroup share one <optgroup>.
    form.school.choices = [EMPTY] + [
        SelectChoice(s.id, s.name, render_kw={"data-region": s.region_id}, optgroup=school_group(s))
        for s in sorted(
            schools, key=lambda s: (sort_key(school_group(s), loc), sort_key(s.name, loc))
        )
    ]

    subjects = db.session.scalars(select(Subject)).all()
    form.subjects.choices = [
        SelectChoice(s.id, s.name_in(loc)) for s in sort_by(subjects, lambda s: s.name_in(loc), loc)
    ]
    form.locale.choices = [
        SelectChoice(code, LANGUAGE_NAMES.get(code, code))
        for code in current_app.config["LANGUAGES"]
    ]
    return form


class RegisterForm(ProfileFieldsForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254, message=_l("At most %(max)d characters.")),
        ],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
    )
    password = _password_field(_l("Password"))
    confirm = _confirm_field(_l("Repeat the password"), "password")
    # No "email already taken" check here: the page must not reveal which emails have an
    # account; the register view mails the owner instead (see core.views.auth).


class ProfileEditForm(ProfileFieldsForm):
    handle = StringField(
        _l("Handle"),
        description=_l(
            "Members mention you in the forum as @handle: 3 to 30 Latin letters a-z, digits "
            "and the underscore _."
        ),
        validators=[DataRequired(message=_l("Enter a handle."))],
        filters=[lambda v: handles.clean(v) if isinstance(v, str) else v],
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254, message=_l("At most %(max)d characters.")),
        ],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
    )
    current_password = PasswordField(
        _l("Current password"),
        description=_l("Needed only when you change your email."),
    )
    profile_public = BooleanField(
        _l("Public profile"),
        description=_l(
            "Your school, category, experience and associations are shown to members of your "
            "associations. Tick this to show them to every signed-in user; visitors who are "
            "not signed in see only your name."
        ),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._user = user

    def validate_handle(self, field) -> None:
        message = handles.problem(field.data, except_user=self._user)
        if message is not None:
            raise ValidationError(message)

    def validate_email(self, field) -> None:
        if email_taken(field.data, except_user=self._user):
            raise ValidationError(_l("An account with this email already exists."))

    def validate_current_password(self, field) -> None:
        changing = (self.email.data or "") != self._user.email.lower()
        if changing and not self._user.check_password(field.data or ""):
            raise ValidationError(
                _l("Enter your current password to change your email.")
                if not field.data
                else _l("The current password is wrong.")
            )


class ChangePasswordForm(QauymForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
    )
    password = _password_field(_l("New password"))
    confirm = _confirm_field(_l("Repeat the new password"), "password")

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._user = user

    def validate_current_password(self, field) -> None:
        if not self._user.check_password(field.data or ""):
            raise ValidationError(_l("The current password is wrong."))


class ForgotPasswordForm(QauymForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter a valid email address.")),
        ],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
    )


class ResetPasswordForm(QauymForm):
    password = _password_field(_l("New password"))
    confirm = _confirm_field(_l("Repeat the new password"), "password")
