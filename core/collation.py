"""Sorting in the reader's alphabet.

Python sorts by code point, which puts the Kazakh letters Ә Ғ Қ Ң Ө Ұ Ү Һ І after Я and Ё
after every other Russian letter. :func:`sort_key` orders text by the Kazakh alphabet for
``kk`` (42 letters, ``../shared/domain.md``) and by the Russian one otherwise: letters of the
reader's alphabet come first in its order, other Cyrillic letters after them, Latin letters
after that (English readers get Latin first), ignoring case. PyICU would do this too but has
no wheel here; the alphabets are short and fixed.
"""

from __future__ import annotations

import unicodedata

KAZAKH = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
LATIN = "abcdefghijklmnopqrstuvwxyz"

_ORDERS: dict[str, dict[str, int]] = {}


def _order(locale: str) -> dict[str, int]:
    if locale not in _ORDERS:
        if locale == "kk":
            alphabets = (KAZAKH, RUSSIAN, LATIN)
        elif locale == "ru":
            alphabets = (RUSSIAN, KAZAKH, LATIN)
        else:
            alphabets = (LATIN, RUSSIAN, KAZAKH)
        order: dict[str, int] = {}
        for letter in "".join(alphabets):
            order.setdefault(letter, len(order))
        _ORDERS[locale] = order
    return _ORDERS[locale]


# Spaces, digits and punctuation sort before every letter, in code point order.
_BASE = 1 << 21


def sort_key(text: str | None, locale: str) -> tuple[tuple[int, ...], str]:
    """A key for ``sorted`` that orders ``text`` as a reader of ``locale`` expects.

    Case is ignored (ties are broken by the text itself, so the order is stable);
    quotation marks do not count, so «ШЫҢ» sorts under Ш.
    """
    text = unicodedata.normalize("NFC", text or "")
    order = _order(locale)
    folded = text.casefold().replace("«", "").replace("»", "").replace('"', "")
    key = tuple(
        _BASE + order[ch] if ch in order else (_BASE * 2 + ord(ch) if ch.isalpha() else ord(ch))
        for ch in folded.strip()
    )
    return key, text


def sort_by(items, name, locale: str) -> list:
    """``items`` sorted by ``name(item)`` in the alphabet of ``locale``."""
    return sorted(items, key=lambda item: sort_key(name(item), locale))
