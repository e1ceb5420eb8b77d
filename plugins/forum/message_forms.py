"""Forms of private messages (Flask-WTF, CSRF on)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.api import QauymForm
from plugins.forum.forms import MAX_BODY


class ComposeForm(QauymForm):
    """A new conversation. Two submit buttons: "find" looks people up by name (nothing is
    stored), "send" starts the conversation; the chosen people travel as ``to`` checkboxes."""

    find = StringField(_l("Find people by name"), validators=[Optional(), Length(max=100)])
    subject = StringField(_l("Subject"), validators=[Optional(), Length(max=200)])
    body = TextAreaField(_l("Message"), validators=[Optional(), Length(max=MAX_BODY)])


class ReplyForm(QauymForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MAX_BODY)])
