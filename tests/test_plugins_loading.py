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
    return PluginInfo(description="test plugin", name={name!r})
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


def test_metadata_comes_from_the_distribution(install):
    """No plugin_info at all: name from the entry point, version and summary from the
    distribution; a plugin_info description is the label, the version still the dist's."""
    install("bare", "X = 1\n")
    install("labelled", PLUGIN_INFO.format(name="labelled"))
    registry = _create("bare,labelled").extensions["qauym_plugins"]
    bare, labelled = registry.info["bare"], registry.info["labelled"]
    assert (bare.name, bare.version, bare.summary, bare.description) == (
        "bare",
        "0.1",
        "test",
        "test",
    )
    assert (labelled.version, labelled.description) == ("0.1", "test plugin")
    assert bare.translations is None and bare.migrations is None


def test_built_in_plugins_show_one_version_enabled_or_not():
    import importlib.metadata

    from core.plugins import plugin_meta

    version = importlib.metadata.version("qauym")
    enabled = _create("forum").extensions["qauym_plugins"]
    assert enabled.info["forum"].version == version
    assert plugin_meta("forum", enabled.installed["forum"]).version == version
    assert enabled.info["forum"].translations.name == "translations"
    assert enabled.info["forum"].migrations.name == "migrations"


def test_plugin_managers_are_per_app():
    one, two = _create("sample"), _create("")
    assert one.extensions["qauym_plugins"].pm is not two.extensions["qauym_plugins"].pm
    assert two.extensions["qauym_plugins"].pm.get_plugins() == set()
    assert len(one.extensions["qauym_plugins"].pm.get_plugins()) == 1


# --- the gateway: how the core calls every hook ------------------------------------------

SUBSET = PLUGIN_INFO.format(name="subset") + textwrap.dedent(
    """
    from flask import Blueprint

    from core.plugin_api import SearchResult

    bp = Blueprint("subset", __name__)


    @bp.get("/")
    def home():
        return "subset home"


    @hookimpl
    def register_blueprints():  # no argument: pluggy's subset rule
        return [bp]


    @hookimpl
    def search(query, user):  # no limit
        return [SearchResult(title=f"Found {query}", url="/subset/", score=1.0)]
    """
)


def test_implementations_taking_a_subset_of_the_arguments_load_and_contribute(install):
    install("subset", SUBSET)
    app = _create("subset")
    with app.app_context():
        app.extensions["qauym_plugins"].association_gate = None  # no database here
        client = app.test_client()
        assert client.get("/subset/").get_data(as_text=True) == "subset home"
        results = app.extensions["qauym_plugins"].items("search", query="q", user=None, limit=5)
    assert [r.title for r in results] == ["Found q"]


@pytest.mark.parametrize(
    ("hook", "item"),
    [
        ("notification_kinds", 'NotificationKind("core.password_reset", "Taken over")'),
        ("register_actions", 'Action("use", "No prefix", lambda u, o: True)'),
        ("register_jobs", 'Job("tick", lambda now: None)'),
        ("register_actions", '"not an Action"'),
    ],
)
def test_start_up_refuses_wrong_names_and_types_naming_the_plugin(install, hook, item):
    install(
        "rogue",
        PLUGIN_INFO.format(name="rogue")
        + textwrap.dedent(
            f"""
            from core.plugin_api import Action, Job, NotificationKind


            @hookimpl
            def {hook}():
                return [{item}]
            """
        ),
    )
    with pytest.raises(PluginError) as err:
        _create("rogue")
    assert "'rogue'" in str(err.value) and hook in str(err.value)


BROKEN_PAGE_HOOKS = PLUGIN_INFO.format(name="clumsy") + textwrap.dedent(
    """
    @hookimpl
    def nav_items(user):
        raise RuntimeError("nav is broken")


    @hookimpl
    def association_tabs(association, user):
        raise RuntimeError("tabs are broken")


    @hookimpl
    def template_slot(slot, context):
        return "not a SlotContent"


    @hookimpl
    def portfolio_entries(user):
        raise RuntimeError("portfolio is broken")


    @hookimpl
    def search(query, user, limit):
        raise RuntimeError("search is broken")
    """
)


def test_a_plugin_failing_in_per_request_hooks_leaves_pages_rendering(
    install, make_app, factory, login, caplog
):
    install("clumsy", BROKEN_PAGE_HOOKS)
    app = make_app(plugins="clumsy,sample")
    with app.app_context():
        user = factory.user()
        association = factory.association()
        factory.member(association, user)
        client = app.test_client()
        login(client, user)
        caplog.clear()
        pages = ("/", f"/a/{association.slug}", f"/u/{user.id}/portfolio", "/search?q=sample")
        for url in pages:
            assert client.get(url).status_code == 200, url
    logged = [r.getMessage() for r in caplog.records if "clumsy" in r.getMessage()]
    for hook in ("nav_items", "association_tabs", "template_slot", "portfolio_entries", "search"):
        assert any(hook in line for line in logged), hook
    # The other plugin still contributes to the same pages.
    with app.app_context():
        client = app.test_client()
        login(client, user)
        page = client.get(f"/a/{association.slug}").get_data(as_text=True)
    assert "sample for" in page and "Sample notes" in page
