"""Plugin discovery and the per-app plugin manager.

Plugins are found through the ``qauym.plugins`` entry-point group. The deployment's
allow-list (``PLUGINS``: ``all`` or comma-separated names) selects which are loaded; an
unknown name or a plugin that fails to import stops start-up with a message naming it.
A plugin that is not selected is never imported or registered: it has no routes, hooks or jobs.

One :class:`pluggy.PluginManager` is created per app and kept at
``app.extensions["qauym_plugins"]``; nothing here is global.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from flask import Flask, current_app

from core import hookspecs
from core.plugin_api import PluginInfo

ENTRY_POINT_GROUP = "qauym.plugins"


class PluginError(RuntimeError):
    """Start-up cannot continue because of a plugin; the message names it."""


def available_plugins() -> dict[str, importlib.metadata.EntryPoint]:
    """Every installed plugin's entry point, by name."""
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep for ep in sorted(eps, key=lambda e: e.name)}


def parse_allow_list(value: str | list[str] | None) -> list[str] | None:
    """``None`` means every installed plugin; ``[]`` means none."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value.lower() in ("all", "*"):
            return None
        if value.lower() in ("", "none"):
            return []
        value = value.split(",")
    return [v.strip() for v in value if v.strip()]


@dataclass
class PluginRegistry:
    """What the app knows about its plugins."""

    pm: pluggy.PluginManager
    installed: dict[str, importlib.metadata.EntryPoint]
    enabled: dict[str, ModuleType] = field(default_factory=dict)
    info: dict[str, PluginInfo] = field(default_factory=dict)

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def names(self) -> list[str]:
        return list(self.enabled)

    def hook_for(self, hook_name: str, exclude: set[str] | frozenset[str] = frozenset()):
        """A caller of ``hook_name`` that leaves out the plugins named in ``exclude``."""
        if not exclude:
            return getattr(self.pm.hook, hook_name)
        modules = [self.enabled[n] for n in exclude if n in self.enabled]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=modules)


def make_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("qauym")
    pm.add_hookspecs(hookspecs)
    return pm


def load_plugins(allow: str | list[str] | None) -> PluginRegistry:
    """Import and register the selected plugins; raise :class:`PluginError` on any problem."""
    installed = available_plugins()
    wanted = parse_allow_list(allow)
    names = list(installed) if wanted is None else wanted
    listing = ", ".join(installed) or "(none)"
    unknown = [n for n in names if n not in installed]
    if unknown:
        raise PluginError(
            f"Unknown plugin {', '.join(repr(n) for n in unknown)} in QAUYM_PLUGINS. "
            f"Installed plugins: {listing}."
        )
    registry = PluginRegistry(pm=make_plugin_manager(), installed=installed)
    for name in names:
        try:
            module = installed[name].load()
        except Exception as exc:  # noqa: BLE001 - re-raised with the plugin's name
            raise PluginError(
                f"Plugin {name!r} failed to import: {exc!r}. Installed plugins: {listing}."
            ) from exc
        try:
            registry.pm.register(module, name=name)
        except Exception as exc:  # noqa: BLE001
            raise PluginError(f"Plugin {name!r} could not be registered: {exc}") from exc
        impls = [i for i in registry.pm.hook.plugin_info.get_hookimpls() if i.plugin is module]
        if not impls:
            raise PluginError(f"Plugin {name!r} does not implement plugin_info().")
        plugin_info = impls[0].function()
        if plugin_info.name != name:
            raise PluginError(
                f"Plugin {name!r} calls itself {plugin_info.name!r}; the entry-point name and "
                "plugin_info().name must agree."
            )
        registry.enabled[name] = module
        registry.info[name] = plugin_info
    try:
        registry.pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"A plugin implements a hook that does not exist: {exc}") from exc
    return registry


def registry(app: Flask | None = None) -> PluginRegistry:
    app = app or current_app
    return app.extensions["qauym_plugins"]


def plugin_of(name: str) -> str:
    """The plugin that owns a dotted name (``forum.reply`` -> ``forum``); ``core`` for core."""
    return name.split(".", 1)[0]


CORE_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def plugin_package_dir(ep: importlib.metadata.EntryPoint) -> Path | None:
    """The folder of the package that holds an entry point's module, found without importing it.

    ``plugins.forum.plugin`` -> the folder of ``plugins.forum``. Only parent packages are
    imported (``plugins``), never the plugin itself, so a disabled or broken plugin stays
    unloaded. ``None`` for a single-module plugin or one that cannot be found.
    """
    module = ep.module
    package = module.rpartition(".")[0] or module
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def migration_version_dirs() -> list[Path]:
    """Alembic version locations: core's, then every *installed* plugin's, enabled or not.

    Disabling a plugin must never hide its migration scripts: a database that once ran them
    would otherwise fail with "Can't locate revision" (FlaskBB #393, #649).
    """
    dirs = [CORE_MIGRATIONS / "versions"]
    for ep in available_plugins().values():
        folder = plugin_package_dir(ep)
        if folder is not None and (folder / "migrations" / "versions").is_dir():
            dirs.append(folder / "migrations" / "versions")
    return dirs
