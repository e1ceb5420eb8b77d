"""Templates and names: slots match the spec, plugins do not shadow core templates, and every
installed plugin uses its one name everywhere (FlaskBB's slot-name drift, datasette#2357)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import render_template_string
from sqlalchemy.orm import class_mapper

from core.extensions import db
from core.plugin_api import SLOTS
from core.plugins import available_plugins, plugin_package_dir
from core.templating import UnknownSlot

ROOT = Path(__file__).resolve().parents[1]
CORE_TEMPLATE_DIRS = [ROOT / "templates", ROOT / "core" / "templates"]
SLOT_CALL = re.compile(r"\bslot\(\s*(?P<q>[\"'])(?P<name>[^\"']+)(?P=q)")
ANY_SLOT_CALL = re.compile(r"\bslot\(")


def _plugin_template_dirs() -> dict[str, Path]:
    """Template folders of every installed plugin and of every package under plugins/."""
    dirs = {}
    for name, ep in available_plugins().items():
        folder = plugin_package_dir(ep)
        if folder is not None:
            dirs[name] = folder / "templates"
    for folder in sorted((ROOT / "plugins").iterdir()):
        if (folder / "__init__.py").exists():
            dirs.setdefault(folder.name, folder / "templates")
    return {name: d for name, d in dirs.items() if d.is_dir()}


def _templates(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".html", ".txt"))


def _all_template_files() -> list[Path]:
    files = [f for d in CORE_TEMPLATE_DIRS if d.is_dir() for f in _templates(d)]
    for folder in _plugin_template_dirs().values():
        files.extend(_templates(folder))
    return files


def test_every_slot_call_names_a_declared_slot():
    calls, unknown, dynamic = [], [], []
    for path in _all_template_files():
        text = path.read_text(encoding="utf-8")
        literal = list(SLOT_CALL.finditer(text))
        if len(literal) != len(ANY_SLOT_CALL.findall(text)):
            dynamic.append(str(path.relative_to(ROOT)))
        for match in literal:
            calls.append(match["name"])
            if match["name"] not in SLOTS:
                unknown.append(f"{path.relative_to(ROOT)}: {match['name']}")
    assert not unknown, f"slots not declared in core.plugin_api.SLOTS: {unknown}"
    assert not dynamic, f"slot names must be string literals: {dynamic}"
    assert {"association.sidebar", "profile.sections"} <= set(calls)


def test_unknown_slot_raises_and_a_declared_one_renders(make_app, factory):
    app = make_app(plugins="sample")
    with app.app_context(), app.test_request_context("/"):
        association = factory.association(slug="net")
        html = render_template_string(
            '{{ slot("association.sidebar", association=a, user=None) }}', a=association
        )
        assert "sample for net" in html
        with pytest.raises(UnknownSlot):
            render_template_string('{{ slot("association.sidebar_links") }}')


def test_plugin_templates_live_under_their_name_and_shadow_no_core_template():
    core_paths = {
        p.relative_to(d).as_posix() for d in CORE_TEMPLATE_DIRS if d.is_dir() for p in _templates(d)
    }
    assert "base.html" in core_paths
    problems = []
    dirs = _plugin_template_dirs()
    assert "sample" in dirs
    for name, folder in dirs.items():
        for path in _templates(folder):
            rel = path.relative_to(folder).as_posix()
            if rel in core_paths:
                problems.append(f"{name}: {rel} shadows a core template")
            if not rel.startswith(f"{name}/"):
                problems.append(f"{name}: {rel} is not under templates/{name}/")
    assert not problems, problems


@pytest.fixture(scope="module")
def all_app():
    from core import create_app

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "PLUGINS": "all"}
    )
    with app.app_context():
        yield app


def _impls(app, hook: str, module):
    registry = app.extensions["qauym_plugins"]
    return [i for i in getattr(registry.pm.hook, hook).get_hookimpls() if i.plugin is module]


@pytest.mark.parametrize("name", sorted(available_plugins()))
def test_one_name_rule(all_app, name):
    registry = all_app.extensions["qauym_plugins"]
    module = registry.enabled[name]
    package = available_plugins()[name].module.rpartition(".")[0] or module.__name__
    problems = []

    if registry.info[name].name != name:
        problems.append(f"plugin_info().name is {registry.info[name].name!r}")

    # Blueprints: the plugin's own blueprint is named after it; its URLs live under /<name>.
    own = [bp for bp in all_app.blueprints.values() if bp.import_name.startswith(package)]
    problems += [f"blueprint {bp.name!r}" for bp in own if bp.name != name]
    if _impls(all_app, "register_blueprints", module):
        assert name in all_app.blueprints, f"{name}: no blueprint named {name!r}"
    for rule in all_app.url_map.iter_rules():
        if rule.endpoint.startswith(f"{name}.") and not (
            rule.rule == f"/{name}" or rule.rule.startswith(f"/{name}/")
        ):
            problems.append(f"URL {rule.rule} of {rule.endpoint}")

    # Tables of the plugin's models start with "<name>_".
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        if cls.__module__ == package or cls.__module__.startswith(package + "."):
            for table in class_mapper(cls).tables:
                if not table.name.startswith(f"{name}_"):
                    problems.append(f"table {table.name} of {cls.__name__}")

    # Actions, notification kinds and jobs are "<name>.*".
    for hook, label in (
        ("register_actions", "action"),
        ("notification_kinds", "notification kind"),
        ("register_jobs", "job"),
    ):
        for impl in _impls(all_app, hook, module):
            for item in impl.function() or []:
                if not item.name.startswith(f"{name}."):
                    problems.append(f"{label} {item.name!r}")

    assert not problems, f"plugin {name!r} breaks the one-name rule: {problems}"


def test_every_table_belongs_to_core_or_an_installed_plugin(all_app):
    owners = ["core", *available_plugins()]
    strays = [t for t in db.metadata.tables if not any(t.startswith(f"{o}_") for o in owners)]
    assert not strays, f"tables without an owner prefix: {strays}"


# The Content-Security-Policy (core.security_headers) allows no inline style or script: a
# <style> block, a style="..." attribute, an inline <script> or an on*= handler is refused by
# the browser. Styles go in core/static/qauym.css or <plugin>/static/<plugin>.css.
TAG = re.compile(r"<[a-zA-Z][^<>]*>?")
INLINE_STYLE_BLOCK = re.compile(r"<style\b", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
HANDLER_ATTR = re.compile(r"\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"=\s*[\"']?\s*javascript:", re.I)
SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.I | re.S)


def inline_code(text: str) -> list[str]:
    """What the strict CSP would refuse in a template's text."""
    found = []
    if INLINE_STYLE_BLOCK.search(text):
        found.append("<style> block")
    for match in SCRIPT.finditer(text):
        if "src=" not in match["attrs"] or match["body"].strip():
            found.append("inline <script>")
    for tag in TAG.findall(text):
        if STYLE_ATTR.search(tag):
            found.append(f"style attribute in {tag[:60]}")
        if HANDLER_ATTR.search(tag):
            found.append(f"event handler in {tag[:60]}")
        if JS_URL.search(tag):
            found.append(f"javascript: URL in {tag[:60]}")
    return found


def test_the_inline_code_check_catches_what_the_csp_refuses():
    for bad in (
        "<style>p{color:red}</style>",
        '<p style="color:red">x</p>',
        "<div class=\"a\" STYLE='x'>",
        '<div class="poll" style="width: {{ n }}%"></div>',
        "<script>alert(1)</script>",
        '<script src="/static/a.js">alert(1)</script>',
        '<button onclick="go()">',
        '<form method="post" onsubmit="return confirm(1)">',
        '<select onchange="this.form.submit()">',
        '<a href="javascript:void(0)">x</a>',
    ):
        assert inline_code(bad), bad
    for good in (
        "<script src=\"{{ url_for('static', filename='a.js') }}\"></script>",
        '<p class="pre">{{ text }}</p>',
        "<p>Write your question; once done, press Send.</p>",
        '<a href="{{ url }}" data-onclick="x">',
    ):
        assert not inline_code(good), good


def test_no_template_has_inline_style_or_script():
    files = _all_template_files()
    assert any("qauym_sample" in str(p) for p in files)  # third-party plugins are scanned too
    problems = [
        f"{path.relative_to(ROOT) if ROOT in path.parents else path}: {problem}"
        for path in files
        for problem in inline_code(path.read_text(encoding="utf-8"))
    ]
    assert not problems, problems
