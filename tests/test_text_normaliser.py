"""The search normaliser (core.services.text): forms of Kazakh, Russian and Latin words."""

import pytest

from core.services.text import (
    fold,
    kazakh_stem,
    latin_to_cyrillic,
    matching_spans,
    normalise,
    query_forms,
    word_forms,
)


def test_lower_case_covers_kazakh_letters():
    assert fold("ӘҒҚҢӨҰҮҺІ Ёлка") == "әғқңөұүһі елка"


@pytest.mark.parametrize(
    "word",
    ["сабақ", "сабақтар", "сабақты", "сабағы", "сабақтың", "сабақтарымызда", "сабағына"],
)
def test_kazakh_noun_endings_are_stripped(word):
    assert kazakh_stem(word) == "сабақ"


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("кітабы", "кітап"),  # voicing: б -> п
        ("кітабыма", "кітап"),  # possessive then dative
        ("мектебіміз", "мектеп"),
        ("мектептегі", "мектеп"),
        ("бағалаймыз", "бағала"),  # verb: present, 1st person plural
        ("бағалауға", "бағала"),  # verbal noun, dative
    ],
)
def test_kazakh_stems(word, stem):
    assert kazakh_stem(word) == stem


def test_stems_agree_across_a_family():
    family = ["тапсырма", "тапсырмалар", "тапсырманы", "тапсырмасы", "тапсырмаларды"]
    assert len({kazakh_stem(w) for w in family}) == 1


def test_short_words_and_derivations_are_kept():
    assert kazakh_stem("ана") == "ана"  # not "а" + dative
    assert kazakh_stem("сабақтас") != kazakh_stem("сабақ")
    assert kazakh_stem("оқушы") != kazakh_stem("оқу")


def test_russian_words_through_snowball():
    assert {word_forms(w)[0] for w in ["урок", "уроки", "уроков", "уроками"]} == {"урок"}
    assert word_forms("Учителя")[0] == word_forms("учитель")[0]


def test_a_word_without_kazakh_letters_gets_both_readings():
    # "мектептер" is Kazakh without a Kazakh-only letter: its Kazakh stem is among the forms
    assert "мектеп" in word_forms("мектептер")
    assert word_forms("сабақтар") == ("сабақ", "сабак")  # Kazakh letters: Kazakh only


def test_mixed_language_text_is_indexed_in_both():
    stored = normalise("Сабақтарымызда жаңа әдістер. На уроках новые методы.").split()
    assert {"сабақ", "әдіс", "урок", "метод"} <= set(stored)


def test_latin_and_plain_input_reach_cyrillic_forms():
    assert latin_to_cyrillic("shyn") == "шын"
    assert latin_to_cyrillic("sabaq") == "сабақ"
    stored = set(normalise("ШЫҢ желісі, сабақтың мақсаты, мұғалімдер").split())
    for query in ["shyn", "sabaq", "sabak", "сабак", "сабактар", "mugalimder"]:
        (forms,) = query_forms(query)
        assert stored & set(forms), query


def test_query_forms_one_tuple_per_word():
    assert query_forms("сабақ а уроки") == [("сабақ", "сабак"), ("урок",)]


def test_matching_spans_mark_inflected_forms():
    text = "Біздің сабақтарымызда және сабағы туралы"
    marked = [text[a:b] for a, b in matching_spans(text, "сабақ")]
    assert marked == ["сабақтарымызда", "сабағы"]
