"""The kk and ru catalogs translate every message of the plugin, placeholders intact."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

PLUGIN = Path(__file__).resolve().parent.parent
ROOT = PLUGIN.parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    pot = tmp_path_factory.mktemp("pot") / "governance.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-o",
            str(pot),
            str(PLUGIN),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    with open(pot, "rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_catalog_complete(extracted, lang):
    with open(PLUGIN / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh) if m.id}
    assert extracted <= set(catalog), f"not in {lang}: {sorted(extracted - set(catalog))[:5]}"
    if lang == "en":
        return
    empty = [i for i in extracted if not catalog[i]]
    assert not empty, f"untranslated in {lang}: {empty[:5]}"
    for msgid in extracted:
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(catalog[msgid])), msgid
