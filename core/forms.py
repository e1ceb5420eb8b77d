"""Shared form pieces: the base form every Qauym form uses, text filters and a date validator.

:class:`QauymForm` (a ``FlaskForm``) cleans what people type before any validator sees it:

* every single-line text field (``StringField`` and its kinds: email, search, URL, hidden;
  not passwords) goes through :func:`single_line`: control characters (NUL, C0 and C1, DEL)
  and bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) are removed, line
  breaks and tabs become one space, and the ends are trimmed;
* every ``TextAreaField`` goes through :func:`multi_line`: the same, but line breaks and tabs
  are kept;
* every ``DateField``, ``DateTimeField`` and ``DateTimeLocalField`` gets
  :class:`ReasonableDate` (years 1900..2200): a date in year 1 or 9999 is a field error in the
  user's language, what was typed stays in the field, and nothing later (a conversion to UTC,
  a day added) can overflow.

Use ``QauymForm`` instead of ``FlaskForm`` for a form of your own; :class:`SingleLineField` is
there for a form that cannot.
"""

from __future__ import annotations

import datetime as dt
import functools

from babel import support
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeField,
    DateTimeLocalField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.i18n import messages_path
from wtforms.validators import StopValidation

from core.i18n import current_locale
from core.services.web import MAX_YEAR, MIN_YEAR, multi_line, single_line


class ReasonableDate:
    """A date (or date and time) in years ``lo_year``..``hi_year``. Out of range: a field
    error, the field's ``data`` set to ``None`` (so cross-field checks skip it) and the
    validation chain stopped; the typed text stays in the field."""

    def __init__(self, lo_year: int = MIN_YEAR, hi_year: int = MAX_YEAR, message=None) -> None:
        self.lo_year = lo_year
        self.hi_year = hi_year
        self.message = message

    def __call__(self, form, field) -> None:
        value = field.data
        if not isinstance(value, dt.date):  # also dt.datetime
            return
        if self.lo_year <= value.year <= self.hi_year:
            return
        field.data = None
        raise StopValidation(
            self.message
            or _l(
                "Enter a date between the years %(lo)s and %(hi)s.",
                lo=self.lo_year,
                hi=self.hi_year,
            )
        )


_DATE_FIELDS = (DateField, DateTimeField, DateTimeLocalField)


@functools.cache
def _wtforms_catalog(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' own messages ("This field is required.") in the request's language, each
    language's catalog read once per process: Flask-WTF's translations read WTForms' catalog
    from disk again on every request that validates a form (0.2 ms of a search page)."""

    def gettext(self, string: str) -> str:
        return _wtforms_catalog(current_locale()).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalog(current_locale()).ungettext(singular, plural, n)


_WTFORMS_TRANSLATIONS = _WTFormsTranslations()


class QauymForm(FlaskForm):
    """The base of every Qauym form (see the module doc): cleans text, bounds dates."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = unbound_field.bind(form=form, **options)
            if isinstance(field, TextAreaField):
                field.filters = (*field.filters, multi_line)
            elif isinstance(field, StringField) and not isinstance(field, PasswordField):
                field.filters = (*field.filters, single_line)
            elif isinstance(field, _DATE_FIELDS) and not any(
                isinstance(v, ReasonableDate) for v in field.validators
            ):
                field.validators = [*field.validators, ReasonableDate()]
            return field

        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _WTFORMS_TRANSLATIONS


class SingleLineField(StringField):
    """A ``StringField`` that cleans its text with :func:`single_line` in any form."""

    def process_formdata(self, valuelist) -> None:
        super().process_formdata(valuelist)
        self.data = single_line(self.data)


class PostForm(QauymForm):
    """An empty form: a POST button with its CSRF token."""
