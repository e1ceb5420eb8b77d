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
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from flask import Flask, current_app

from core import hookspecs
from core.paths import CORE_MIGRATIONS
from core.plugin_api import PluginInfo, PluginMeta

ENTRY_POINT_GROUP = "qauym.plugins"
log = logging.getLogger("qauym.plugins")


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


@dataclass(frozen=True)
class Contribution:
    """One item a plugin contributed through a hook, tagged with the plugin's name."""

    plugin: str
    item: Any


def hook_policy(hook: str) -> hookspecs.Policy:
    """The policy declared beside the hook's specification in :mod:`core.hookspecs`."""
    return getattr(hookspecs, hook).qauym_policy


@dataclass
class PluginRegistry:
    """What the app knows about its plugins, and the one gateway through which the core calls
    their hooks (:meth:`collect`)."""

    pm: pluggy.PluginManager
    installed: dict[str, importlib.metadata.EntryPoint]
    enabled: dict[str, ModuleType] = field(default_factory=dict)
    info: dict[str, PluginMeta] = field(default_factory=dict)
    #: ``association -> names of plugins switched off there``; set by create_app to
    #: :func:`core.services.plugin_gate.disabled_plugins_for`.
    association_gate: Callable[[Any], set[str] | frozenset[str]] | None = None

    def names(self) -> list[str]:
        return list(self.enabled)

    def implementers(self, hook: str) -> list[str]:
        """Names of the enabled plugins implementing ``hook``, in loading order."""
        impls = getattr(self.pm.hook, hook).get_hookimpls()
        names = {i.plugin_name for i in impls}
        return [n for n in self.enabled if n in names]

    def collect(
        self,
        hook: str,
        *,
        association: Any = None,
        plugins: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> list[Contribution]:
        """Call ``hook`` on every enabled plugin and return what they contributed.

        * Each implementation gets only the arguments it declares (pluggy's subset rule).
        * With ``association``, plugins switched off for it are not called; when the hook's
          specification has an ``association`` argument it receives it too.
        * ``plugins`` limits the call to the plugins named.
        * Every item is checked against the hook's :class:`core.hookspecs.Policy`: its type
          and, for named things, the ``<plugin>.`` prefix. What fails (an exception or a wrong
          item) raises :class:`PluginError` naming the plugin under the ``"fail"`` policy,
          and is logged and dropped under ``"contain"``.
        * Items with an ``order`` are sorted by it, then by plugin name.
        """
        policy = hook_policy(hook)
        caller = getattr(self.pm.hook, hook)
        spec_args = set(caller.spec.argnames)
        if "association" in spec_args:
            kwargs["association"] = association
        if set(kwargs) != spec_args:
            raise TypeError(f"{hook}() takes {sorted(spec_args)}, got {sorted(kwargs)}")
        skip: set[str] | frozenset[str] = frozenset()
        if association is not None and self.association_gate is not None:
            skip = self.association_gate(association)
        wanted = None if plugins is None else set(plugins)
        out: list[Contribution] = []
        for impl in caller.get_hookimpls():  # registration order
            name = impl.plugin_name
            if name in skip or (wanted is not None and name not in wanted):
                continue
            try:
                result = impl.function(**{a: kwargs[a] for a in impl.argnames})
            except Exception as exc:  # noqa: BLE001 - policy: raise with the name, or log
                if policy.errors == "fail":
                    raise PluginError(f"Plugin {name!r} failed in {hook}(): {exc!r}") from exc
                log.exception("plugin %s: %s() failed; left out", name, hook)
                continue
            if policy.returns is None:
                continue
            out.extend(Contribution(name, item) for item in self._checked(hook, name, result))
        if any(hasattr(c.item, "order") for c in out):
            out.sort(key=lambda c: (getattr(c.item, "order", 100), c.plugin))
        return out

    def items(self, hook: str, **kwargs: Any) -> list[Any]:
        """:meth:`collect`, without the plugin tags."""
        return [c.item for c in self.collect(hook, **kwargs)]

    def _checked(self, hook: str, plugin: str, result: Any) -> list[Any]:
        policy = hook_policy(hook)
        if result is None:
            return []
        if policy.many and not isinstance(result, list | tuple):
            self._violation(hook, plugin, f"returned {type(result).__name__}, not a list")
            return []
        kept = []
        for item in result if policy.many else [result]:
            if not isinstance(item, policy.returns):
                wanted = getattr(policy.returns, "__name__", str(policy.returns))
                self._violation(
                    hook, plugin, f"returned {type(item).__name__} {item!r}; expected {wanted}"
                )
                continue
            name = getattr(item, "name", None)
            if policy.name_rule == "prefix" and not str(name).startswith(f"{plugin}."):
                self._violation(hook, plugin, f"names {name!r}; it must start with '{plugin}.'")
                continue
            if policy.name_rule == "equal" and name != plugin:
                self._violation(hook, plugin, f"names {name!r}; it must be named {plugin!r}")
                continue
            kept.append(item)
        return kept

    @staticmethod
    def _violation(hook: str, plugin: str, problem: str) -> None:
        message = f"Plugin {plugin!r} {problem} (hook {hook})"
        if hook_policy(hook).errors == "fail":
            raise PluginError(message)
        log.error("%s; left out", message)


def make_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("qauym")
    pm.add_hookspecs(hookspecs)
    return pm


def plugin_meta(
    name: str, ep: importlib.metadata.EntryPoint, info: PluginInfo | None = None
) -> PluginMeta:
    """Everything derivable about an installed plugin, without importing it."""
    dist = ep.dist
    summary = ((dist.metadata.get("Summary") if dist else "") or "").strip()
    folder = plugin_package_dir(ep)

    def beside(sub: str) -> Path | None:
        return folder / sub if folder is not None and (folder / sub).is_dir() else None

    translations = info.translations if info and info.translations else beside("translations")
    return PluginMeta(
        name=name,
        version=dist.version if dist else "?",
        summary=summary,
        description=info.description if info else summary,
        package_dir=folder,
        translations=translations,
        migrations=beside("migrations"),
    )


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
        registry.enabled[name] = module
    try:
        registry.pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"A plugin implements a hook that does not exist: {exc}") from exc
    given = {c.plugin: c.item for c in registry.collect("plugin_info")}
    for name in registry.enabled:
        info = given.get(name)
        if info is not None and info.name not in (None, name):
            raise PluginError(
                f"Plugin {name!r} calls itself {info.name!r}; the entry-point name and "
                "plugin_info().name must agree."
            )
        registry.info[name] = plugin_meta(name, installed[name], info)
    return registry


def registry(app: Flask | None = None) -> PluginRegistry:
    app = app or current_app
    return app.extensions["qauym_plugins"]


def plugin_of(name: str) -> str:
    """The plugin that owns a dotted name (``forum.reply`` -> ``forum``); ``core`` for core."""
    return name.split(".", 1)[0]


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
