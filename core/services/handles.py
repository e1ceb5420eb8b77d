"""Handles: the short Latin name a member is mentioned by (``@aigul_serikova``).

A handle is 3 to 30 lower-case Latin letters, digits and ``_``, starting with a letter or a
digit, unique on the site. Handles are stored lower-case, so uniqueness holds whatever case
a member types. Every new account gets one from its name (:func:`suggest`, as Discourse's
username suggester does): Kazakh and Russian Cyrillic transliterated to Latin
(:func:`transliterate`), anything else dropped, and a number added when the handle is taken
(``aigul_serikova2``). A member changes it on the profile form (:func:`problem` says what is
wrong with a typed one).

The core assigns handles before a flush (:func:`_assign_before_flush`), so every way of
creating a user (registration, the demo, the admin command, tests) gets one. The migration
``core_0040`` holds a copy of the transliteration table (a migration never imports the app).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

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


def _taken_like(session, base: str) -> set[str]:
    stmt = select(User.handle).where(User.handle.like(f"{base[: MAX_LENGTH - 4]}%"))
    with session.no_autoflush:
        return set(session.scalars(stmt))


def suggest(full_name: str, taken: Iterable[str] = (), session=None) -> str:
    """A free handle for ``full_name``: its :func:`base_handle`, else with 2, 3, ... added."""
    base = base_handle(full_name)
    used = _taken_like(session or db.session, base) | set(taken)
    if base not in used:
        return base
    n = 2
    while True:
        suffix = str(n)
        candidate = base[: MAX_LENGTH - len(suffix)].rstrip("_") + suffix
        if candidate not in used:
            return candidate
        n += 1


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


@event.listens_for(Session, "before_flush")
def _assign_before_flush(session, flush_context, instances) -> None:
    """Give every new user without a handle one from their name."""
    new = [o for o in session.new if isinstance(o, User) and not o.handle]
    if not new:
        return
    pending = {o.handle for o in session.new if isinstance(o, User) and o.handle}
    for user in new:
        user.handle = suggest(user.full_name or "", taken=pending, session=session)
        pending.add(user.handle)
