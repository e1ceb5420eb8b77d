"""The declared plugin API: a plugin's code imports ``core`` (``hookimpl``) and ``core.api``,
nothing else of the core. Its tests (and migrations) are not plugin code: they may use the
fixtures of ``core.testing*`` and reach into the core to set up and check."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import core.api
from core.plugins import available_plugins, plugin_package_dir

ALLOWED = {"core.api", "core.hookimpl"}


def _plugin_dirs() -> dict[str, Path]:
    out = {}
    for name, ep in available_plugins().items():
        folder = plugin_package_dir(ep)
        if folder is not None:
            out[name] = folder
    return out


def _core_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "core"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "core":
                found += [(node.lineno, f"core.{a.name}") for a in node.names]
            elif node.module.startswith("core."):
                found.append((node.lineno, node.module))
    return found


def test_every_name_in_the_api_exists():
    assert [n for n in core.api.__all__ if not hasattr(core.api, n)] == []


def test_the_built_in_and_the_sample_plugins_are_checked():
    assert {"forum", "masterclasses", "expertise", "mentoring", "sample"} <= set(_plugin_dirs())


@pytest.mark.parametrize("name", sorted(_plugin_dirs()))
def test_plugin_uses_only_the_declared_api(name):
    folder = _plugin_dirs()[name]
    problems = []
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(folder)
        if rel.parts[0] in ("tests", "migrations"):
            continue
        problems += [f"{rel}:{n}: {m}" for n, m in _core_imports(path) if m not in ALLOWED]
    assert problems == [], "import from core.api instead:\n" + "\n".join(problems)
