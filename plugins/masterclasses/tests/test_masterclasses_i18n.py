"""The kk and ru catalogs translate every string of the plugin, keeping the placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import refresh

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _source_ids() -> set[str]:
    method_map = [("tests/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", "jinja2")]
    ids = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(str(ROOT), method_map):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_catalog_is_complete_and_keeps_placeholders(lang):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale=lang)
    translated = {m.id: m.string for m in catalog if m.id}
    assert _source_ids() <= set(translated)
    if lang == "en":
        return
    for msgid, msgstr in translated.items():
        assert msgstr, f"{lang}: no translation for {msgid!r}"
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid


def test_pages_speak_kazakh_and_russian(client):
    assert "Алдағы іс-шаралар" in client.get("/masterclasses/").get_data(as_text=True)
    refresh()  # the test's app context outlives requests; forget the cached locale
    page = client.get("/masterclasses/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Предстоящие мероприятия" in page
