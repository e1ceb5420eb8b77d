"""One word normaliser for search: Kazakh and Russian words reduced to comparable forms.

Search compares *forms*, never the words as typed: a text is indexed as the forms of its words
(:func:`normalise`, stored in a ``search_text`` column) and a query is turned into the same
forms (:func:`query_forms`), so "сабақ" finds "сабақтарымызда" and "урок" finds "уроков".

How a word becomes its forms (:func:`word_forms`):

* lower-cased with Python's Unicode ``str.lower`` (Ә→ә, Қ→қ, І→і ... on every database), ``ё``
  read as ``е``;
* a word with one of the Kazakh letters ә ғ қ ң ө ұ ү һ і is Kazakh: its forms are the Kazakh
  stem and that stem in "plain" spelling (Kazakh letters replaced by the nearest Russian
  ones: қ→к, ғ→г, ң→н, ә→а, ө→о, ұ/ү→у, һ→х, і→и). The plain form lets "сабак" typed on a
  Russian keyboard, and Latin input ("sabak", "shyn"), find "сабақ", "ШЫҢ": a word without
  Kazakh letters is also stemmed with the plain spellings of the Kazakh endings
  ("сабактарымызда" → "сабак");
* any other Cyrillic word may be Russian or Kazakh ("мектеп", "жоспар" have no Kazakh-only
  letter): both the Russian and the Kazakh stem are kept when they differ. A post with a
  Kazakh sentence and its Russian translation is therefore found in both languages;
* a Latin word is kept as it is (lower-cased); in a *query* it also gets the forms of its
  Cyrillic transliteration (:func:`latin_to_cyrillic`), informal (sh, ch, zh, ng, q, gh, y)
  and the 2021 Latin alphabet (ä ğ ı ñ ö ş ū ü) alike.

Russian: the Snowball Russian stemmer (``snowballstemmer``, pure Python, pinned in
``pyproject.toml``; it uses PyStemmer's C code when that is installed).

Kazakh: our own rule-based suffix stripper (:func:`kazakh_stem`). The one Kazakh package on
the index, ``kazstem`` (qazmorph), is a morphological analyser that needs Apertium/HFST
finite-state resources it does not ship (they are downloaded by a bootstrap script on a
build host), so it cannot run here or on CI; no other package stems Kazakh. The stripper
removes, from the end and repeatedly, the longest ending among plural, case, possessive,
personal and common verb endings (tables below), as long as at least :data:`MIN_STEM`
letters with a vowel remain and the sounds agree (an ending in т-/қ-/к-/п- after a
consonant, -сы/-сі and -ны/-на/-нда after a vowel); then it undoes the voicing of a final
consonant (сабағы → сабақ, кітабы → кітап, мектебі → мектеп). Where the last ending can be
read two ways (маман-ы / мама-ны, жоба-мыз / жоб-амыз) the stems of both readings are kept,
in the index and in the query alike. It is a stemmer for search, not a grammar: it may cut
a word to something that is not a word ("мұғалім" → "мұғал"), which does not matter because
the same function is applied to the index and to the query. Derivational endings (-шы,
-лық/-дық/-тық, -лас/-тас) are kept: "оқушы" (pupil) stays apart from "оқу" (study),
"сабақтас" from "сабақ", "қауымдастық" whole.

Measured on ``core.testing_search`` (68 word families, 334 forms, 34 look-alikes; every form
searched): recall 98.9%, precision 99.0%. Matching stems as prefixes instead would give
99.2% / 88.5%; the exact word as typed 19.9% / 100%; the prefix of the word as typed (the
forum before this module) 33.2% / 93.4%. Known misses: Russian fleeting vowels
("оценок"/"оценка") and verbs whose Snowball stems differ ("планируем"/"планировать").

When this module changes, stored forms are stale: run ``qauym forum reindex`` (every plugin
that stores ``search_text`` should offer the same).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

#: Letters that exist in Kazakh Cyrillic but not in Russian.
KAZAKH_LETTERS = frozenset("әғқңөұүһі")
VOWELS = frozenset("аәеёиоөуұүыіэюя")
#: A Kazakh stem keeps at least this many letters.
MIN_STEM = 3

_PLAIN = str.maketrans("әғқңөұүһі", "агкноууии")
_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]")
_LATIN = re.compile(r"[a-zäçğıñöşūüı]")

# Endings by kind; the stripper tries the longest that fits first.


def _endings(spaced: str) -> list[str]:
    return spaced.split()


_PLURAL = _endings("лар лер дар дер тар тер")
_POSSESSIVE = _endings(
    "ымыз іміз мыз міз ыңыз іңіз ңыз ңіз ың ің ым ім сы сі ы і ларың лерің дарың дерің тарың терің"
)
_CASE = _endings(
    # genitive, dative, accusative, locative, ablative, instrumental
    "ның нің дың дің тың тің "
    "ға ге қа ке на не "
    "ны ні ды ді ты ті "
    "да де та те нда нде "
    "нан нен дан ден тан тен "
    "мен бен пен менен бенен пенен "
    # adjectival locative (мектептегі), equative, similative
    "дағы дегі тағы тегі ндағы ндегі ша ше дай дей тай тей"
)
_PERSONAL = _endings("мын мін сың сің сыз сіз мыз міз сыңдар сіңдер сыздар сіздер")
_VERB = _endings(
    # present (-й- after a vowel, -а-/-е- after a consonant), past, participles, the verbal
    # noun's cases. Left out: -ады/-еді (the past "бағалады" would lose its -а-) and the past
    # -дық/-тық, which would eat the nouns in -лық/-дық/-тық (сабақтастық, қауымдастық).
    "ймын ймін йсың йсің ймыз йміз йсыз йсіз йды йді йтын йтін "
    "амын емін амыз еміз асыз есіз атын етін "
    "дым дім тым тім "
    "ған ген қан кен ғанбыз генбіз ғанмын генмін "
    "уға уге уды уді уда уде удың удің"
)
# One-letter endings, allowed only after the letters given (alone they are too ambiguous).
_AFTER = {
    "а": "мң",  # dative after 1st/2nd person possessive: кітабыма, сабағыңа
    "е": "мң",
    "м": "аәеиоөуұүыі",  # 1st person possessive after a vowel: жобам
    "ң": "аәеиоөуұүыі",  # 2nd person possessive after a vowel: жобаң
    "н": "ыі",  # accusative after 3rd person possessive: сабағын
    "у": "аәеиоөұүыіжзлмнрсйт",  # verbal noun: бағалау, жазу, үйрену, оқыту ("оқу" is short)
}
# Endings of the present after a consonant only (жазамыз, үйренеміз).
_AFTER_CONSONANT = {"амын", "емін", "амыз", "еміз", "асыз", "есіз", "атын", "етін"}
# Accusative, dative, locative with н- follow a vowel (a possessive: сабағын-да, жобаны).
_AFTER_VOWEL = {"ны", "ні", "на", "не", "нда", "нде", "ндағы", "ндегі"}
_ENDINGS = tuple(
    sorted(set(_PLURAL + _POSSESSIVE + _CASE + _PERSONAL + _VERB) | set(_AFTER), key=len)[::-1]
)
# The same endings in plain spelling, for Kazakh typed without its letters (сабактын,
# мугалим): tried only on words that have no Kazakh letter.
_ENDINGS_PLAIN = tuple(
    sorted(set(_ENDINGS) | {e.translate(_PLAIN) for e in _ENDINGS}, key=len)[::-1]
)
_AFTER_PLAIN = {**_AFTER, **{k.translate(_PLAIN): v.translate(_PLAIN) for k, v in _AFTER.items()}}
_AFTER_CONSONANT |= {e.translate(_PLAIN) for e in _AFTER_CONSONANT}
_AFTER_VOWEL |= {e.translate(_PLAIN) for e in _AFTER_VOWEL}
_DEVOICE = {"б": "п", "г": "к", "ғ": "қ"}


def fold(text: str) -> str:
    """Lower case for every alphabet the site meets; ``ё`` as ``е``."""
    return (text or "").lower().replace("ё", "е")


def words(text: str) -> list[str]:
    """The words of ``text`` as typed (letters and digits; punctuation splits)."""
    return _WORD.findall(text or "")


def is_kazakh(word: str) -> bool:
    return any(ch in KAZAKH_LETTERS for ch in word)


def plain_spelling(word: str) -> str:
    """Kazakh letters replaced by the nearest Russian ones (сабақ -> сабак)."""
    return word.translate(_PLAIN)


def _fits(stem: str, ending: str, after: dict[str, str]) -> bool:
    """``ending`` may follow ``stem``: enough stem left, and the sounds agree (an ending in
    т-/қ-/к-/п- follows a consonant, -сы/-сі and -ны/-на/-нда a vowel)."""
    if len(stem) < MIN_STEM or not any(ch in VOWELS for ch in stem):
        return False
    last = stem[-1]
    if ending in after:
        return last in after[ending]
    if ending in _AFTER_CONSONANT or ending[0] in "тқкп":
        return last not in VOWELS
    if ending[:2] in ("сы", "сі", "си") or ending in _AFTER_VOWEL:
        return last in VOWELS
    return True


def _strip(word: str, endings: tuple[str, ...], after: dict[str, str]) -> str:
    for _ in range(8):
        for ending in endings:
            if word.endswith(ending) and _fits(word[: -len(ending)], ending, after):
                word = word[: -len(ending)]
                break
        else:
            break
    if len(word) > MIN_STEM and word[-1] in _DEVOICE:
        word = word[:-1] + _DEVOICE[word[-1]]
    return word


@lru_cache(maxsize=50_000)
def kazakh_stems(word: str) -> tuple[str, ...]:
    """The Kazakh stems of a lower-case ``word``: the longest ending that fits is stripped
    first, then again; when the last ending is ambiguous ("маманы": маман-ы or мама-ны;
    "жобамыз": жоба-мыз or жоб-амыз) every reading's stem is kept, the greedy one first."""
    plain = not is_kazakh(word)
    endings, after = (_ENDINGS_PLAIN, _AFTER_PLAIN) if plain else (_ENDINGS, _AFTER)
    stems = [_strip(word, endings, after)]
    for ending in endings:
        if word.endswith(ending) and _fits(word[: -len(ending)], ending, after):
            stems.append(_strip(word[: -len(ending)], endings, after))
    return tuple(dict.fromkeys(stems))


def kazakh_stem(word: str) -> str:
    """The first (greedy) Kazakh stem of ``word``; see :func:`kazakh_stems`."""
    return kazakh_stems(word)[0]


_RUSSIAN = snowballstemmer.stemmer("russian")


@lru_cache(maxsize=50_000)
def russian_stem(word: str) -> str:
    return _RUSSIAN.stemWord(word)


@lru_cache(maxsize=50_000)
def word_forms(word: str) -> tuple[str, ...]:
    """The search forms of one word (a few), never empty for a word with letters."""
    w = fold(word)
    if not w:
        return ()
    if is_kazakh(w):
        stems = kazakh_stems(w)
        forms = [*stems, *(plain_spelling(s) for s in stems)]
    elif _CYRILLIC.search(w):
        forms = [russian_stem(w), *kazakh_stems(w)]
    else:
        forms = [w]
    return tuple(dict.fromkeys(f for f in forms if f))


def normalise(text: str) -> str:
    """``text`` as stored for search: the forms of every word, space-separated, in order."""
    return " ".join(f for w in words(text) for f in word_forms(w))


# --- Latin input -----------------------------------------------------------------------

_LATIN_MULTI = [
    ("shch", "щ"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("gh", "ғ"),
    ("ng", "ң"),
    ("ts", "ц"),
    ("ya", "я"),
    ("yu", "ю"),
    ("yo", "е"),
]
_LATIN_ONE = {
    "a": "а", "ä": "ә", "b": "б", "c": "с", "ç": "ч", "d": "д", "e": "е", "f": "ф", "g": "г",
    "ğ": "ғ", "h": "х", "i": "і", "ı": "ы", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н",
    "ñ": "ң", "o": "о", "ö": "ө", "p": "п", "q": "қ", "r": "р", "s": "с", "ş": "ш", "t": "т",
    "u": "у", "ū": "ұ", "ü": "ү", "v": "в", "w": "у", "x": "х", "y": "ы", "z": "з",
}  # fmt: skip


def latin_to_cyrillic(word: str) -> str:
    """Kazakh typed in Latin letters (informal or the 2021 alphabet) as Cyrillic."""
    w = fold(word)
    out = []
    i = 0
    while i < len(w):
        for latin, cyr in _LATIN_MULTI:
            if w.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            out.append(_LATIN_ONE.get(w[i], w[i]))
            i += 1
    return "".join(out)


def query_word_forms(word: str) -> tuple[str, ...]:
    """The forms a query word matches: its own, and for Latin input its Cyrillic reading's."""
    forms = list(word_forms(word))
    if _LATIN.search(fold(word)) and not _CYRILLIC.search(fold(word)):
        cyr = latin_to_cyrillic(word)
        forms += word_forms(cyr)
        forms += word_forms(plain_spelling(cyr))
    return tuple(dict.fromkeys(forms))


MAX_TERMS = 8


def query_forms(query: str, min_length: int = 2) -> list[tuple[str, ...]]:
    """One tuple of alternative forms per query word (words shorter than ``min_length``
    dropped, at most :data:`MAX_TERMS`). A match needs every word, in any of its forms."""
    out = []
    for w in words(query):
        if len(w) < min_length:
            continue
        forms = query_word_forms(w)
        if forms and forms not in out:
            out.append(forms)
    return out[:MAX_TERMS]


class _QueryWords:
    """What :func:`matching_spans` looks for in a query: its forms and its words as typed
    (folded), and for each word of a text already tried whether it matched. A results page
    highlights forty snippets with the same query, and posts share most of their words, so
    most words are answered from ``seen`` (a word's forms are worked out once either way)."""

    __slots__ = ("seen", "typed", "wanted")

    def __init__(self, query: str) -> None:
        self.wanted = frozenset(f for forms in query_forms(query) for f in forms)
        self.typed = tuple(fold(w) for w in words(query) if len(w) >= 2)
        self.seen: dict[str, bool] = {}

    def matches(self, word: str) -> bool:
        hit = self.seen.get(word)
        if hit is None:
            if len(self.seen) > 4_000:  # a page's snippets hold far fewer distinct words
                self.seen.clear()
            folded = fold(word)
            hit = self.seen[word] = not self.wanted.isdisjoint(word_forms(word)) or any(
                folded.startswith(t) for t in self.typed
            )
        return hit


@lru_cache(maxsize=64)  # with ``seen`` bounded: at most some 250,000 words remembered
def _query_words(query: str) -> _QueryWords:
    return _QueryWords(query)


def matching_spans(text: str, query: str, first: bool = False) -> list[tuple[int, int]]:
    """``(start, end)`` of each word of ``text`` that matches a word of ``query`` (same form),
    for highlighting; also a word that starts with a query word as typed. ``first``: stop at
    the first (where a snippet starts)."""
    matches = _query_words(query).matches
    spans = []
    for m in _WORD.finditer(text or ""):
        if matches(m.group(0)):
            spans.append(m.span())
            if first:
                break
    return spans


def like_alternatives(forms: Iterable[str]) -> list[str]:
    """Strings to look for with a case-insensitive ``LIKE '%...%'`` in text that is not
    stored normalised: each form, and its voiced spelling (сабақ -> сабағ, as in сабағы)."""
    out: list[str] = []
    for f in forms:
        out.append(f)
        voiced = {"п": "б", "к": "г", "қ": "ғ"}.get(f[-1:])
        if voiced and len(f) > MIN_STEM:
            out.append(f[:-1] + voiced)
    return list(dict.fromkeys(out))


def is_kazakh_text(text: str) -> bool:
    """Whether ``text`` holds one of the Kazakh letters ә ғ қ ң ө ұ ү һ і (any case)."""
    return any(ch in KAZAKH_LETTERS for ch in text.lower())


def split_languages(text: str) -> tuple[str, str]:
    """A text that mixes Kazakh and Russian paragraphs, split into ``(kazakh, russian)``.

    Paragraphs are separated by blank lines; one with a Kazakh letter is Kazakh, any other is
    Russian. Used to move charters written in both languages into their per-language fields
    (the migration core_0031 holds a copy of this rule)."""
    kk: list[str] = []
    ru: list[str] = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        if block.strip():
            (kk if is_kazakh_text(block) else ru).append(block.strip())
    return "\n\n".join(kk), "\n\n".join(ru)


def split_pair(text: str, sep: str = " / ") -> tuple[str, str]:
    """``"Жалпы жиналыс / Общее собрание"`` → ``("Жалпы жиналыс", "Общее собрание")``: a
    short text given in both languages, Kazakh first (unless only the second part has Kazakh
    letters); one without the separator goes to its language."""
    parts = [p.strip() for p in (text or "").split(sep)]
    if len(parts) == 2 and all(parts):
        if is_kazakh_text(parts[1]) and not is_kazakh_text(parts[0]):
            return parts[1], parts[0]
        return parts[0], parts[1]
    text = (text or "").strip()
    return (text, "") if is_kazakh_text(text) else ("", text)
