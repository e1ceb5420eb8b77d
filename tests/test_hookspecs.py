"""Hook specifications: documented in code and in README.md with their exact signatures
(datasette's test_docs pattern), and behaving as pluggy promises (no Flask needed)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from core import hookspecs

README = Path(__file__).resolve().parents[1] / "README.md"


def _specs() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(func)
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(func, "qauym_spec")
    }


def _signature(name: str, sig: inspect.Signature) -> str:
    return f"{name}({', '.join(sig.parameters)})"


def test_there_are_hooks():
    assert {"plugin_info", "register_blueprints", "demo_data", "template_slot"} <= set(_specs())


@pytest.mark.parametrize("name", sorted(_specs()))
def test_every_hookspec_has_a_docstring(name):
    doc = inspect.getdoc(getattr(hookspecs, name))
    assert doc and len(doc.split()) >= 8, f"hookspec {name} needs a real docstring"


@pytest.mark.parametrize("name", sorted(_specs()))
def test_every_hookspec_is_documented_in_readme_with_its_signature(name):
    headings = re.findall(r"^#{2,5} `([^`]+)`", README.read_text(encoding="utf-8"), re.M)
    expected = _signature(name, _specs()[name])
    assert expected in headings, f"README.md needs a heading `{expected}`"


def test_readme_documents_no_hook_that_does_not_exist():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Hooks", 1)[1].split("\n## ", 1)[0]
    documented = {h.split("(")[0] for h in re.findall(r"^#{3,5} `([^`]+\(.*\))`", section, re.M)}
    assert documented == set(_specs())


# --- the gateway is the only caller ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(_specs()))
def test_every_hookspec_declares_its_policy(name):
    policy = getattr(hookspecs, name).qauym_policy
    assert policy.errors in ("fail", "contain")
    assert policy.returns is None or isinstance(policy.returns, type | tuple)


def test_no_call_site_in_core_bypasses_the_gateway():
    """Every hook call goes through PluginRegistry.collect (argument subsets, type and name
    checks, error policy); calling ``impl.function`` or ``pm.hook.<name>(...)`` elsewhere
    would skip them."""
    core = Path(__file__).resolve().parents[1] / "core"
    offenders = []
    for path in core.rglob("*.py"):
        if path.name in ("plugins.py",) or path.name.startswith("testing"):
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"impl\.function\(", r"\.hook\.\w+\(", r"get_hookimpls\("):
            offenders += [f"{path.relative_to(core)}: {m}" for m in re.findall(pattern, text)]
    assert offenders == []


def test_every_setting_is_documented_in_readme_configuration_table():
    from core.config import DEFAULTS

    text = README.read_text(encoding="utf-8")
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `QAUYM_([A-Z0-9_]+)` \|", table, re.M))
    assert rows == set(DEFAULTS), (
        f"undocumented: {sorted(set(DEFAULTS) - rows)}; stale: {sorted(rows - set(DEFAULTS))}"
    )
