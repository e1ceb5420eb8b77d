"""Hook specifications: documented in code and in README.md with their exact signatures
(datasette's test_docs pattern), and behaving as pluggy promises (no Flask needed)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pluggy
import pytest

from core import hookimpl, hookspecs
from core.plugins import make_plugin_manager

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


# --- pluggy behaviour the hooks rely on ----------------------------------------------------


class SubsetArgs:
    """An implementation may take fewer arguments than its spec (specs can grow)."""

    @hookimpl
    def association_tabs(self, association):
        return [f"tab for {association}"]

    @hookimpl
    def search(self, query, limit):
        return [f"{query}:{limit}"]


def test_hooks_are_called_with_keywords_and_accept_argument_subsets():
    pm = make_plugin_manager()
    pm.register(SubsetArgs(), name="subset")
    pm.check_pending()
    assert pm.hook.association_tabs(association="net", user=None) == [["tab for net"]]
    assert pm.hook.search(query="q", user=None, limit=3) == [["q:3"]]
    with pytest.raises(TypeError):
        pm.hook.search("q", None, 3)  # positional calls are refused by pluggy


def test_check_pending_refuses_an_implementation_without_a_spec():
    class Typo:
        @hookimpl
        def nav_item(self, user):
            return []

    pm = make_plugin_manager()
    pm.register(Typo(), name="typo")
    with pytest.raises(pluggy.PluginValidationError):
        pm.check_pending()


def test_an_implementation_asking_for_an_argument_the_spec_lacks_is_refused():
    class Extra:
        @hookimpl
        def nav_items(self, user, association):
            return []

    pm = make_plugin_manager()
    with pytest.raises(pluggy.PluginValidationError):
        pm.register(Extra(), name="extra")


def test_managers_do_not_share_registrations():
    one, two = make_plugin_manager(), make_plugin_manager()
    one.register(SubsetArgs(), name="subset")
    assert two.hook.search(query="q", user=None, limit=1) == []


def test_every_setting_is_documented_in_readme_configuration_table():
    from core.config import DEFAULTS

    text = README.read_text(encoding="utf-8")
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| `QAUYM_([A-Z_]+)` \|", table, re.M))
    assert rows == set(DEFAULTS), (
        f"undocumented: {sorted(set(DEFAULTS) - rows)}; stale: {sorted(rows - set(DEFAULTS))}"
    )
