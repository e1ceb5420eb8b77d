"""The one place where Qauym's hooks are declared.

A plugin is a module (named by an entry point in the ``qauym.plugins`` group) whose functions
are decorated with :data:`core.hookimpl` and named after these specifications. pluggy calls
hooks with keyword arguments only, so an implementation may accept any subset of the
arguments of its specification.

Rules the core enforces:

* Hooks that contribute items return a list of the small typed objects of
  :mod:`core.plugin_api`; the core validates them and sorts them by their ``order`` field.
  Never rely on the order in which pluggy calls implementations.
* A plugin disabled for the deployment is never registered: none of its hooks is called.
* A plugin disabled for a region or an association (the admin switch) stays registered, but
  the core leaves it out of every per-association hook (``association_tabs``, ``template_slot``
  with an association in the context, ``search`` results, notifications) there. Plugins check
  :func:`core.services.plugin_gate.is_enabled` in their own views and jobs.

Every hook below is documented, and ``tests/test_hookspecs.py`` fails when one is not.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("qauym")


@hookspec
def plugin_info():
    """Describe the plugin.

    Return a :class:`core.plugin_api.PluginInfo` with ``name`` (the entry-point name),
    ``version``, ``description`` (a lazy-translated string) and optionally the path of its
    ``translations`` and ``migrations`` folders. Every plugin must implement it.
    """


@hookspec
def register_blueprints(app):
    """Return a list of Flask blueprints to register on ``app``.

    A plugin's blueprint is named after the plugin and mounted under ``/<name>``; the core
    refuses any other name or prefix. Called once, at start-up.
    """


@hookspec
def register_commands(cli):
    """Add click commands to the ``qauym`` command group ``cli``. Called once, at start-up."""


@hookspec
def register_actions():
    """Return a list of :class:`core.plugin_api.Action` the plugin checks with ``can()``.

    Action names start with ``<plugin>.``. Each action carries a check function
    ``check(user, obj) -> bool``; :func:`core.services.permissions.can` calls it.
    """


@hookspec
def nav_items(user):
    """Return a list of :class:`core.plugin_api.NavItem` for the site navigation.

    ``user`` is the current user (maybe anonymous). Items whose ``action`` the user may not
    perform are dropped by the core.
    """


@hookspec
def association_tabs(association, user):
    """Return a list of :class:`core.plugin_api.Tab` for the association's page.

    Only called for plugins enabled for ``association`` (deployment and region switch).
    """


@hookspec
def template_slot(slot, context):
    """Return a :class:`core.plugin_api.SlotContent` (or ``None``) for a named page slot.

    Templates call ``slot("<name>", **context)``; the slot names are listed in
    :data:`core.plugin_api.SLOTS` and an unknown name raises. ``context`` is a dict; when it
    holds an ``association``, only plugins enabled for it are asked.
    """


@hookspec
def notification_kinds():
    """Return a list of :class:`core.plugin_api.NotificationKind` the plugin sends.

    Kind names start with ``<plugin>.``. Users set in-app and email preferences per kind.
    """


@hookspec
def search(query, user, limit):
    """Return up to ``limit`` :class:`core.plugin_api.SearchResult` for ``query``.

    Results must only contain what ``user`` (maybe anonymous) may read. Results whose
    ``association_id`` belongs to an association where the plugin is switched off are
    dropped by the core.
    """


@hookspec
def portfolio_entries(user):
    """Return a list of :class:`core.plugin_api.PortfolioEntry` for ``user``'s portfolio.

    Entries are the user's professional-development record: hours attended or hosted,
    reviews written, materials published, mentoring. Shown on the profile and exported
    as CSV for attestation.
    """


@hookspec
def register_jobs():
    """Return a list of :class:`core.plugin_api.Job` to run periodically.

    ``qauym jobs run`` runs every job that is due. A job must be idempotent: running it
    twice in a row must not repeat its effects (send a reminder twice, say).
    """


@hookspec
def demo_data(ctx):
    """Add the plugin's demo content, in Kazakh and Russian, to the demo database.

    ``ctx`` is a :class:`core.demo.DemoContext` giving the demo users, associations and
    regions by key, and a ``log(str)`` to print what was made. Commit through
    ``core.extensions.db.session``.
    """


@hookspec
def user_deleted(user):
    """The account ``user`` is about to be deleted: remove or anonymise what the plugin holds."""
