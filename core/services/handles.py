"""Handles: the short Latin name a member is mentioned by (``@aigul_serikova``).

A handle is 3 to 30 lower-case Latin letters, digits and ``_``, starting with a letter or a
digit, unique on the site. Handles are stored lower-case, so uniqueness holds whatever case
a member types. Every new account gets one from its name (:func:`column_default`, as Discourse's
username suggester does): Kazakh and Russian Cyrillic transliterated to Latin
(:func:`transliterate`), anything else dropped, and a number added when the handle is taken
(``aigul_serikova2``). A member changes it on the profile form (:func:`problem` says what is
wrong with a typed one).

The column's default (:func:`column_default`) gives the handle, so every way of creating a
user (registration, the demo, the admin command, tests, bulk inserts) gets one. The migration
``core_0040`` holds a copy of the transliteration table (a migration never imports the app).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.extensions import db
from core.handle_names import (  # noqa: F401 - the names live there, used here too
    CYRILLIC_TO_LATIN,
    HANDLE_RE,
    MAX_LENGTH,
    MIN_LENGTH,
    base_handle,
    column_default,
    transliterate,
)
from core.models import User


def clean(text: str) -> str:
    """A typed handle as stored: without spaces and a leading ``@``, lower-case."""
    return (text or "").strip().lstrip("@").lower()


def is_taken(handle: str, except_user: User | None = None) -> bool:
    stmt = select(User.id).where(func.lower(User.handle) == clean(handle))
    if except_user is not None and except_user.id is not None:
        stmt = stmt.where(User.id != except_user.id)
    with db.session.no_autoflush:
        return db.session.scalar(stmt.limit(1)) is not None


def problem(handle: str, except_user: User | None = None):
    """What is wrong with a typed handle (a lazy translated message), or None."""
    value = clean(handle)
    if not MIN_LENGTH <= len(value) <= MAX_LENGTH:
        return _l("A handle has 3 to 30 characters.")
    if not HANDLE_RE.fullmatch(value):
        return _l(
            "Use only Latin letters a-z, digits and the underscore _, starting with a letter "
            "or a digit."
        )
    if is_taken(value, except_user):
        return _l("This handle is taken: choose another one.")
    return None


def users_by_handle(handles: Iterable[str]) -> dict[str, User]:
    """handle -> active user, for the given handles (one query)."""
    wanted = {clean(h) for h in handles if h}
    if not wanted:
        return {}
    rows = db.session.scalars(select(User).where(User.handle.in_(wanted), User.active.is_(True)))
    return {u.handle: u for u in rows}
