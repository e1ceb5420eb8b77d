"""Every user-facing string is translated to Kazakh and Russian, in the core and in each plugin.

For each area (the core: ``core/`` and ``templates/``; each ``plugins/<name>``), messages are
extracted from the sources with Babel's Python API and the mapping of ``babel.cfg`` (python
and jinja2, ``_l`` included), exactly as ``pybabel extract -F babel.cfg`` does. Every msgid
(plural forms included) needs a non-empty, non-fuzzy msgstr in the kk and ru catalogs (fuzzy
entries are left out when catalogs are compiled), with the same ``%(name)s`` placeholders; the
en catalog must exist (an empty msgstr falls back to the English msgid).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ("kk", "ru")
SKIP_DIRS = {"tests", "migrations", "translations", "static", "fonts", "__pycache__"}


def _areas() -> dict[str, tuple[Path, Path]]:
    """area -> (directory to extract from, translations folder)."""
    areas = {"core": (ROOT, ROOT / "core" / "translations")}
    for folder in sorted((ROOT / "plugins").iterdir()):
        if (folder / "__init__.py").exists():
            areas[folder.name] = (folder, folder / "translations")
    return areas


def _directory_filter(base: Path, core: bool):
    def keep(dirpath: str) -> bool:
        rel = Path(dirpath).relative_to(base)
        if any(part.startswith((".", "_")) or part in SKIP_DIRS for part in rel.parts):
            return False
        if core and rel.parts:
            # The core's sources: the core package and the project templates.
            return rel.parts[0] in ("core", "templates")
        return True

    return keep


def _extract(area: str, base: Path) -> dict[str, tuple[str, ...]]:
    """msgid -> (msgid, plural...) -> where it was found."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, "babel.cfg")
    found: dict[object, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(base),
        method_map,
        options_map,
        keywords=DEFAULT_KEYWORDS,
        directory_filter=_directory_filter(base, area == "core"),
    ):
        if isinstance(message, tuple):
            message = tuple(m for m in message if m)
            if len(message) == 1:
                message = message[0]
        if message:
            found.setdefault(message, f"{filename}:{lineno}")
    return found


def _load(translations: Path, locale: str):
    po = translations / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return None
    with open(po, "rb") as fh:
        return read_po(fh, locale=locale)


@pytest.mark.parametrize("area", sorted(_areas()))
def test_catalogs_are_complete(area):
    base, translations = _areas()[area]
    messages = _extract(area, base)
    assert messages, f"{area}: no translatable messages found under {base}"

    problems: list[str] = []
    if _load(translations, "en") is None:
        problems.append(f"{area}: no en catalog at {translations}/en/LC_MESSAGES/messages.po")
    for locale in REQUIRED:
        catalog = _load(translations, locale)
        if catalog is None:
            problems.append(f"{area}: no {locale} catalog ({len(messages)} messages to translate)")
            continue
        missing = []
        for msgid, where in messages.items():
            key = msgid[0] if isinstance(msgid, tuple) else msgid
            entry = catalog.get(key)
            strings = entry.string if entry is not None else ""
            strings = strings if isinstance(strings, tuple) else (strings,)
            if entry is None or entry.fuzzy or not all(s.strip() for s in strings):
                state = "fuzzy" if entry is not None and entry.fuzzy else "missing"
                missing.append(f"  [{state}] {key!r} ({where})")
            elif isinstance(msgid, tuple) and not isinstance(entry.string, tuple):
                missing.append(f"  [no plural forms] {key!r} ({where})")
        if missing:
            problems.append(f"{area}/{locale}: {len(missing)} untranslated:\n" + "\n".join(missing))
        bad = [
            f"  {message.id!r}: {'; '.join(map(str, errors))}"
            for message, errors in catalog.check()
            if message.id and (message.id in messages or (message.id,) in messages)
        ]
        if bad:
            problems.append(f"{area}/{locale}: broken placeholders:\n" + "\n".join(bad))
    assert not problems, "\n".join(problems)
