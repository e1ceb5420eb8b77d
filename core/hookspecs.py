"""The one place where Qauym's hooks are declared, each with its contract.

A plugin is a module (named by an entry point in the ``qauym.plugins`` group) whose functions
are decorated with :data:`core.hookimpl` and named after these specifications.

How the core calls every hook (:meth:`core.plugins.PluginRegistry.collect`, the one gateway;
no call site in core calls an implementation itself):

* **Argument subsets.** An implementation may accept any subset of its specification's
  arguments, as pluggy promises: ``def register_blueprints():`` and ``def search(query,
  user):`` are valid. The gateway passes each implementation only the arguments it declares.
* **Typed returns.** Each spec declares what it returns (``returns`` below): a list of small
  typed objects of :mod:`core.plugin_api` (or one object, or nothing). The gateway checks
  every item with ``isinstance`` and, for named things (actions, jobs, notification kinds,
  blueprints), the ``<plugin>.`` prefix (``name == plugin`` for the blueprint).
* **One error policy per hook**, declared beside it (``errors``):
  ``"fail"`` (start-up hooks, and the demo): an exception or a wrong item stops with a
  :class:`core.plugins.PluginError` naming the plugin;
  ``"contain"`` (per-request hooks: nav, tabs, slots, search, portfolio): the plugin's
  exception or wrong item is logged with the plugin's name and dropped, and the page still
  renders with what the other plugins gave.
* **Order.** Items with an ``order`` field are sorted by it (then by plugin name); never rely
  on the order in which pluggy calls implementations.
* **The plugin gate.** A plugin disabled for the deployment is never registered: none of its
  hooks is called. A plugin switched off for a region or an association stays registered,
  and the gateway leaves it out of every hook called for that association
  (``association_tabs``, ``template_slot`` with an association in the context); ``search``
  results of such associations are dropped. Plugins check
  :func:`core.services.plugin_gate.is_enabled` in their own views and jobs.

Every hook below is documented in README.md with its exact signature, and
``tests/test_hookspecs.py`` fails when one is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pluggy
from flask import Blueprint

from core.plugin_api import (
    Action,
    EmailReplyResult,
    Job,
    NavItem,
    NotificationKind,
    PlanLink,
    PluginInfo,
    PortfolioEntry,
    ReportSection,
    SearchResult,
    SlotContent,
    Tab,
)

hookspec = pluggy.HookspecMarker("qauym")


@dataclass(frozen=True)
class Policy:
    """How the gateway calls a hook and treats what it returns."""

    errors: Literal["fail", "contain"]
    returns: Any = None  # a type (or tuple of types) each item must be; None: result ignored
    many: bool = True  # a list of items (True) or one item or None (False)
    name_rule: Literal["prefix", "equal"] | None = None  # item.name vs the plugin's name


def spec(policy: Policy):
    """Declare a hook with its :class:`Policy` (kept on the function as ``qauym_policy``)."""

    def mark(func):
        func.qauym_policy = policy
        return hookspec(func)

    return mark


@spec(Policy("fail", PluginInfo, many=False))
def plugin_info():
    """Describe the plugin with what its installed distribution cannot tell.

    Return a :class:`core.plugin_api.PluginInfo`: ``description``, the lazy-translated label
    shown to users, and optionally ``translations`` (default: the ``translations`` folder
    beside the plugin module) and ``name`` (checked against the entry point). The name comes
    from the entry point, the version and summary from the distribution's metadata
    (``importlib.metadata``), the migrations folder from ``<package>/migrations``. Optional:
    without it the distribution's summary is the description.
    """


@spec(Policy("fail", Blueprint, name_rule="equal"))
def register_blueprints(app):
    """Return a list of Flask blueprints to register on ``app``.

    A plugin's blueprint is named after the plugin and mounted under ``/<name>``; the core
    refuses any other name or prefix. Called once, at start-up.
    """


@spec(Policy("fail"))
def register_commands(cli):
    """Add click commands to the ``qauym`` command group ``cli``. Called once, at start-up."""


@spec(Policy("fail", Action, name_rule="prefix"))
def register_actions():
    """Return a list of :class:`core.plugin_api.Action` the plugin checks with ``can()``.

    Action names start with ``<plugin>.``. Each action carries a check function
    ``check(user, obj) -> bool``; :func:`core.services.permissions.can` calls it.
    """


@spec(Policy("contain", NavItem))
def nav_items(user):
    """Return a list of :class:`core.plugin_api.NavItem` for the site navigation.

    ``user`` is the current user (maybe anonymous). Items whose ``action`` the user may not
    perform are dropped by the core.
    """


@spec(Policy("contain", Tab))
def association_tabs(association, user):
    """Return a list of :class:`core.plugin_api.Tab` for the association's page.

    Only called for plugins enabled for ``association`` (deployment and region switch).
    """


@spec(Policy("contain", SlotContent, many=False))
def template_slot(slot, context):
    """Return a :class:`core.plugin_api.SlotContent` (or ``None``) for a named page slot.

    Templates call ``slot("<name>", **context)``; the slot names are listed in
    :data:`core.plugin_api.SLOTS` and an unknown name raises. ``context`` is a dict; when it
    holds an ``association``, only plugins enabled for it are asked.
    """


@spec(Policy("fail", NotificationKind, name_rule="prefix"))
def notification_kinds():
    """Return a list of :class:`core.plugin_api.NotificationKind` the plugin sends.

    Kind names start with ``<plugin>.``. Users set in-app and email preferences per kind.
    """


@spec(Policy("contain", SearchResult))
def search(query, user, limit):
    """Return up to ``limit`` :class:`core.plugin_api.SearchResult` for ``query``.

    Results must only contain what ``user`` (maybe anonymous) may read. Results whose
    ``association_id`` belongs to an association where the plugin is switched off are
    dropped by the core.
    """


@spec(Policy("contain", PortfolioEntry))
def portfolio_entries(user):
    """Return a list of :class:`core.plugin_api.PortfolioEntry` for ``user``'s portfolio.

    Entries are the user's professional-development record: hours attended or hosted,
    reviews written, materials published, mentoring. Shown on the profile and exported
    as CSV for attestation.
    """


@spec(Policy("contain", PlanLink))
def plan_links(association, row_ids):
    """Return a :class:`core.plugin_api.PlanLink` for each of the plugin's objects linked to
    one of ``row_ids``, rows of ``association``'s activity plan.

    Plugins let their users pick a row with the core's plan-row choices and store the row id;
    the plan then shows each row as planned, done (with the link) or overdue. Only called for
    plugins enabled for ``association``.
    """


@spec(Policy("contain", ReportSection))
def annual_report(association, association_ids, start, end):
    """Return the plugin's :class:`core.plugin_api.ReportSection` list for the annual report.

    ``association`` is the association whose report it is; ``association_ids`` are the ids to
    count (the association alone, or with its subtree when the report includes the children);
    ``start`` and ``end`` are site dates, the period ``start <= day < end`` (a school year by
    default). Figures are public: count only what the association publishes. Only called for
    plugins enabled for ``association``.
    """


@spec(Policy("fail", Job, name_rule="prefix"))
def register_jobs():
    """Return a list of :class:`core.plugin_api.Job` to run periodically.

    ``qauym jobs run`` runs every job that is due. A job must be idempotent: running it
    twice in a row must not repeat its effects (send a reminder twice, say).
    """


@spec(Policy("fail"))
def demo_data(ctx):
    """Add the plugin's demo content, in Kazakh and Russian, to the demo database.

    ``ctx`` is a :class:`core.demo.DemoContext` giving the demo users, associations and
    regions by key, and a ``log(str)`` to print what was made. Commit through
    ``core.extensions.db.session``.
    """


@spec(Policy("fail"))
def user_deleted(user):
    """The account ``user`` is about to be deleted: remove or anonymise what the plugin holds."""


@spec(Policy("contain", EmailReplyResult, many=False))
def email_reply(target, user, text, now, attachments):
    """A reply by email reached an address the plugin issued: act on it as the web form would.

    The plugin gave ``target`` (a short string of its own, such as ``"topic:12"``) to
    ``notify(..., reply_to=target)`` or ``notifications.send_email(..., reply_to=target)``;
    the core put a random, expiring key bound to the recipient into the email's ``Reply-To``
    and, when mail comes back to it, checked the key, the sender's address, the account, the
    rate limit and the size, and reduced the message to ``text`` (plain text, quoted part and
    signature removed). Only the plugin that issued the key is called. Run the checks of the
    web form (membership, bans, locks, length, moderation) and return an
    :class:`core.plugin_api.EmailReplyResult`: accepted with a ``url``, or refused with a
    ``reason`` the core mails back to ``user``. Add rows to the session; the core commits (or
    rolls back a refusal). ``now`` is the naive-UTC time of receipt.

    ``attachments`` is a list of :class:`core.plugin_api.MailAttachment`: the message's
    attached files and inline images with a file name (tiny inline images, signature logos,
    are left out by the core: :func:`core.services.inbound_mail.message_attachments`). Put
    them through the web form's upload checks; name the ones not kept in the accepted
    result's ``refused_files`` (the core mails those names back), or refuse the whole reply.
    """
