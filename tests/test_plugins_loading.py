"""Start-up with plugins: the allow-list, and plugins that must be refused loudly.

Broken plugins are real distributions made in a temporary folder (a package plus a
``.dist-info`` with an entry point), put on ``sys.path`` the way installing them would.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from core.config import DEFAULTS
from core.plugins import PluginError, available_plugins

PLUGIN_INFO = """
from core import hookimpl
from core.plugin_api import PluginInfo


@hookimpl
def plugin_info():
    return PluginInfo(name={name!r}, version="0.1", description="test plugin")
"""


@pytest.fixture
def install(tmp_path, monkeypatch):
    """``install(name, source)`` makes a distribution whose entry point ``name`` is
    ``qauym_t_<name>.plugin`` with ``source`` as that module."""
    made: list[str] = []

    def _install(name: str, source: str) -> str:
        package = f"qauym_t_{name}"
        pkg = tmp_path / package
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        (pkg / "plugin.py").write_text(textwrap.dedent(source))
        info = tmp_path / f"{package}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\nSummary: test\n"
        )
        (info / "entry_points.txt").write_text(f"[qauym.plugins]\n{name} = {package}.plugin\n")
        made.append(package)
        return package

    monkeypatch.syspath_prepend(str(tmp_path))
    yield _install
    for mod in list(sys.modules):
        if any(mod == p or mod.startswith(p + ".") for p in made):
            del sys.modules[mod]


def _create(plugins, **extra):
    from core import create_app

    cfg = {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"}
    if plugins is not None:
        cfg["PLUGINS"] = plugins
    cfg.update(extra)
    return create_app(cfg)


def test_unknown_plugin_name_stops_start_up_naming_it_and_listing_installed():
    with pytest.raises(PluginError) as err:
        _create("sample,nosuch")
    message = str(err.value)
    assert "'nosuch'" in message
    for name in available_plugins():
        assert name in message


def test_all_is_the_default_and_loads_every_installed_plugin(monkeypatch):
    assert DEFAULTS["PLUGINS"] == "all"
    monkeypatch.delenv("QAUYM_PLUGINS", raising=False)
    app = _create(None)
    assert set(app.extensions["qauym_plugins"].enabled) == set(available_plugins())
    assert "sample" in app.extensions["qauym_plugins"].enabled


def test_empty_allow_list_loads_nothing_and_a_list_loads_only_those():
    assert _create("").extensions["qauym_plugins"].enabled == {}
    assert list(_create(" sample ").extensions["qauym_plugins"].enabled) == ["sample"]


def test_plugin_that_fails_to_import_stops_start_up_naming_it(install):
    install("broken", "import qauym_no_such_dependency\n")
    with pytest.raises(PluginError) as err:
        _create("broken")
    message = str(err.value)
    assert "'broken'" in message and "failed to import" in message
    assert "qauym_no_such_dependency" in message
    assert "sample" in message  # the installed plugins are listed
    # A broken plugin also stops "all"; leaving it out of the allow-list lets the site start.
    with pytest.raises(PluginError, match="'broken'"):
        _create("all")
    assert "broken" not in _create("sample").extensions["qauym_plugins"].enabled


def test_broken_plugin_left_out_is_never_imported(install):
    package = install("broken", "raise RuntimeError('imported!')\n")
    _create("sample")
    assert f"{package}.plugin" not in sys.modules


def test_hook_without_a_spec_is_refused(install):
    install(
        "typo",
        PLUGIN_INFO.format(name="typo")
        + "\n\n@hookimpl\ndef nav_item(user):  # the spec is nav_items\n    return []\n",
    )
    with pytest.raises(PluginError) as err:
        _create("typo")
    assert "nav_item" in str(err.value) and "does not exist" in str(err.value)


def test_blueprint_named_differently_is_refused(install):
    install(
        "bpname",
        PLUGIN_INFO.format(name="bpname")
        + textwrap.dedent(
            """
            from flask import Blueprint

            bp = Blueprint("plugin_bpname", __name__)


            @hookimpl
            def register_blueprints(app):
                return [bp]
            """
        ),
    )
    with pytest.raises(PluginError) as err:
        _create("bpname")
    assert "'plugin_bpname'" in str(err.value) and "'bpname'" in str(err.value)


def test_plugin_info_name_must_match_the_entry_point(install):
    install("alias", PLUGIN_INFO.format(name="another"))
    with pytest.raises(PluginError) as err:
        _create("alias")
    assert "'alias'" in str(err.value) and "'another'" in str(err.value)


def test_plugin_without_plugin_info_is_refused(install):
    install("bare", "X = 1\n")
    with pytest.raises(PluginError, match="plugin_info"):
        _create("bare")


def test_plugin_managers_are_per_app():
    one, two = _create("sample"), _create("")
    assert one.extensions["qauym_plugins"].pm is not two.extensions["qauym_plugins"].pm
    assert two.extensions["qauym_plugins"].pm.get_plugins() == set()
    assert len(one.extensions["qauym_plugins"].pm.get_plugins()) == 1
