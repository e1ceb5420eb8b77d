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

import re
import unicodedata
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.extensions import db
from core.models import User

MIN_LENGTH = 3
MAX_LENGTH = 30
HANDLE_RE = re.compile(r"[a-z0-9][a-z0-9_]{2,29}")

# Kazakh and Russian Cyrillic in plain Latin letters (the 2021 Kazakh alphabet without its
# diacritics, and the usual Russian readings for the letters Kazakh does not use).
CYRILLIC_TO_LATIN = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip


def transliterate(text: str) -> str:
    """Lower-case Latin spelling of ``text``: Cyrillic transliterated, Latin letters with
    accents reduced to the plain letter (``ş`` → ``s``), other characters kept."""
    out = []
    for ch in (text or "").lower():
        latin = CYRILLIC_TO_LATIN.get(ch)
        if latin is None:
            latin = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or ch
        out.append(latin)
    return "".join(out)


def base_handle(full_name: str) -> str:
    """The handle a name suggests before de-duplication: ``Айгүл Серікова`` → ``aigul_serikova``."""
    text = re.sub(r"[^a-z0-9]+", "_", transliterate(full_name)).strip("_")
    text = text[:MAX_LENGTH].rstrip("_")
    if len(text) < MIN_LENGTH:
        text = (text + "_user").lstrip("_") if text else "user"
    return text


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


def column_default(context) -> str:
    """``User.handle``'s default: a free handle from the row's ``full_name``. A column default
    (not an ORM event) so that every insert gets one, ORM or Core, one row or many; the
    handles given in the same statement are remembered on its execution context."""
    params = context.get_current_parameters()
    given = context.__dict__.setdefault("_qauym_handles", set())
    base = base_handle(params.get("full_name") or "")
    prefix = base[: MAX_LENGTH - 4].replace("_", "\\_")
    rows = context.connection.execute(
        select(User.handle).where(User.handle.like(f"{prefix}%", escape="\\"))
    )
    used = {r[0] for r in rows} | given
    handle = base
    n = 2
    while handle in used:
        handle = base[: MAX_LENGTH - len(str(n))].rstrip("_") + str(n)
        n += 1
    given.add(handle)
    return handle
