"""Handles made from names, with no import of the models (``core.models`` uses
:func:`column_default` as ``User.handle``'s default; ``core.services.handles`` builds on it)."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import text

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
    name = re.sub(r"[^a-z0-9]+", "_", transliterate(full_name)).strip("_")
    name = name[:MAX_LENGTH].rstrip("_")
    if len(name) < MIN_LENGTH:
        name = (name + "_user").lstrip("_") if name else "user"
    return name


def column_default(context) -> str:
    """``User.handle``'s default: a free handle from the row's ``full_name``. A column default
    (not an ORM event) so that every insert gets one, ORM or Core, one row or many; the
    handles given in the same statement are remembered on its execution context."""
    params = context.get_current_parameters()
    given = context.__dict__.setdefault("_qauym_handles", set())
    base = base_handle(params.get("full_name") or "")
    prefix = base[: MAX_LENGTH - 4].replace("_", "\\_")
    rows = context.connection.execute(
        text("SELECT handle FROM core_user WHERE handle LIKE :p ESCAPE '\\'"),
        {"p": f"{prefix}%"},
    )
    used = {r[0] for r in rows} | given
    handle = base
    n = 2
    while handle in used:
        handle = base[: MAX_LENGTH - len(str(n))].rstrip("_") + str(n)
        n += 1
    given.add(handle)
    return handle
