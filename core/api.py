"""The declared API for plugins: everything a plugin may use from the core, in one module.

A plugin imports from ``core`` (``hookimpl``) and from here, nothing else in core
(``tests/test_plugin_api.py`` fails on any other ``core.*`` import in a plugin's code; its
tests may also use the fixtures of ``core.testing``, ``core.testing_routes`` and
``core.testing_browser``). What is re-exported here is kept stable; what is not is internal
and may change without notice.

Grouped by need:

* **Database and models**: ``db`` (SQLAlchemy; plugin models subclass ``db.Model``), the core
  models a plugin may refer to (``User``, ``Association``, ``Membership``, ``Role``,
  ``Category``, ``Region``, ``District``, ``School``, ``Subject``, ``Certificate``,
  ``Notification``), ``login_manager`` (for ``login_manager.unauthorized()``); the core's
  closed sets a plugin reuses (``Category``, ``Role``, ``Language``) and ``one_of(column,
  TheEnum)``, the CHECK constraint for a column holding a closed set (see DEVELOPERS.md).
* **Hook return types**: ``PluginInfo``, ``Action``, ``NavItem``, ``Tab``, ``SlotContent``,
  ``EmailReplyResult`` (and ``MailAttachment``, the files ``email_reply`` gets),
  ``NotificationKind``, ``SearchResult``, ``PortfolioEntry``, ``Job``, ``PlanLink``,
  ``ReportSection``, ``ReportFigure``; ``SLOTS``.
* **Associations**: ``association_for(plugin, slug)`` (lookup with the plugin gate: 404 when
  missing or switched off there), ``subtree``, ``exclude_member`` (remove a member by a
  decision, audited), the membership service ``associations``.
* **Handles** (``core.services.handles``): ``handles`` (``HANDLE_RE``, ``users_by_handle``,
  ``clean``, ``transliterate``); every user has ``User.handle``, the ``@handle`` members are
  mentioned by (3 to 30 lower-case Latin letters, digits and ``_``, unique).
* **Permissions**: ``can``, ``require``, and the module ``permissions`` (``is_member``,
  ``has_role``, ``manages``, ``moderates``, ``administers``, ``membership``).
* **The plugin gate**: ``plugin_gate`` (``is_enabled``, ``abort_unless_enabled``,
  ``disabled_association_ids``).
* **Services**: ``notify`` and ``notifications``; ``certificates``; ``uploads``;
  ``locking`` (``run_locked``, ``begin_write``); ``markdown``; ``audit``;
  ``csv_response`` (one CSV dialect, formula cells neutralised) and ``csv_export``;
  ``ci_contains`` (case-insensitive match for Kazakh and Russian on SQLite too);
  ``folded_contains`` (a ``keep_folded`` column contains the query, through its
  ``substring_index``); ``name_contains`` (the same over ``User.name_folded``),
  ``name_matches`` (a user's name contains the query's words in any of their forms).
* **Rate limits**: ``limiter``, the core's Flask-Limiter instance (the one login and
  registration use): ``@limiter.limit("60 per minute", key_func=...)`` under the route
  decorator. Limits are off when ``RATELIMIT_ENABLED`` is false (as in tests, unless a test
  turns it on); storage is ``RATELIMIT_STORAGE_URI`` (Redis with several servers).
* **HTTP caching** (``core.services.http_cache``, see DEVELOPERS.md): ``cached_page`` (decorate
  a GET view of an HTML page: weak ETag and 304 answers, the anonymous page cache),
  ``not_cacheable()`` (keep one answer out of that cache), ``PAGE_CACHE_IGNORE`` (a table's
  ``info``: writes to it do not empty the page cache).
* **Search text** (``core.services.text``, see DEVELOPERS.md): ``normalise`` (text as stored
  in a ``search_text`` column), ``query_forms`` (a query's words, each as its alternative
  forms), ``word_forms``, ``matching_spans`` / ``mark_spans`` / ``highlight`` (mark the
  inflected forms a query matches), ``forms_match`` (SQL condition on text not stored
  normalised: the query as typed, or every word in one of its forms; ``folded=True`` for
  columns stored folded, as ``User.name_folded``); ``keep_folded(target, *sources)`` keeps a
  model's column holding its other text columns folded as they are set (``folded_text``
  gives the same value for rows written around the ORM); ``substring_index(column, name)``
  indexes such a column for ``forms_match`` (an FTS5 trigram table on SQLite, a pg_trgm
  index on PostgreSQL; its migration creates the same, see DEVELOPERS.md);
  ``plan_for_values()`` (PostgreSQL: a search page's statements planned for what was typed,
  not once for any value; the site search calls it before the plugins' ``search`` hooks).
* **URLs and query arguments**: ids in routes use the bounded ``<id:...>`` converter (never
  ``<int:...>``); ``page_arg``, ``int_arg``, ``date_arg``, ``month_arg``, ``year_arg``,
  ``parse_id``, ``parse_date`` (a bad or out-of-range value is treated as absent);
  ``paginate(stmt, page, per_page, options=, key=)`` -> ``Page`` (a page past the last
  shows the last; with ``key``, the primary key column, the page's keys are found first and
  its rows loaded by key, so an index covering the filter serves long lists; a list every
  visit runs builds its statements once with ``page_query`` under ``functools.cache`` and
  passes the values in ``paginate(query, ..., params=)``),
  ``page_count``, ``clamp_page``, ``MAX_ID``; ``safe_next`` (redirect targets), ``safe_link``
  (links to show), ``site_request_context`` (``url_for`` in jobs and demo hooks).
* **Forms**: ``QauymForm`` (the base of every form: single-line fields cleaned of control and
  bidi characters, dates bounded to sensible years), ``SingleLineField``, ``ReasonableDate``,
  ``PostForm`` (a CSRF-only form for buttons); ``single_line``, ``multi_line`` (the same
  cleaning for text that does not come from a form).
* **Time**: ``utcnow`` (naive UTC, as stored), ``to_local``, ``from_local``, ``site_tz``,
  ``site_date`` (the site's day of an instant: use it wherever a person reads a date),
  ``site_time``.
* **Activity plans**: ``row_choices(association, around=None, include=None)`` (``(id,
  label)`` pairs of the plan rows of the school year of ``around``, for a select field),
  ``row_or_none(association, row_id)`` (a submitted id checked against the association's
  plan), ``plans`` (school years: ``bounds``, ``current_year``, ``year_of``).
* **Labels**: ``CATEGORY_LABELS``, ``ACTIVITY_FORM_LABELS``.
* **Sorting**: ``sort_key(text, locale)`` and ``sort_by(items, name, locale)``: names in the
  reader's alphabet (Kazakh order for ``kk``: Ақмола before Алматы, Қазақ before Математика).
"""

from __future__ import annotations

from core import hookimpl
from core.collation import sort_by, sort_key
from core.extensions import db, limiter, login_manager
from core.forms import PostForm, QauymForm, ReasonableDate, SingleLineField
from core.labels import ACTIVITY_FORM_LABELS, CATEGORY_LABELS
from core.models import (
    Association,
    Category,
    Certificate,
    District,
    Language,
    Membership,
    Notification,
    Region,
    Role,
    School,
    Subject,
    User,
    folded_text,
    keep_folded,
    one_of,
    substring_index,
)
from core.plugin_api import (
    SLOTS,
    Action,
    EmailReplyResult,
    Job,
    MailAttachment,
    NavItem,
    NotificationKind,
    PlanLink,
    PluginInfo,
    PortfolioEntry,
    ReportFigure,
    ReportSection,
    SearchResult,
    SlotContent,
    Tab,
)
from core.services import (
    associations,
    audit,
    certificates,
    csv_export,
    handles,
    locking,
    markdown,
    notifications,
    permissions,
    plans,
    plugin_gate,
    uploads,
)
from core.services.associations import association_for, exclude_member, subtree
from core.services.csv_export import csv_response
from core.services.http_cache import IGNORE as PAGE_CACHE_IGNORE
from core.services.http_cache import cached_page, not_cacheable
from core.services.notifications import notify
from core.services.permissions import can, require
from core.services.plans import row_choices, row_or_none
from core.services.search import (
    ci_contains,
    folded_contains,
    forms_match,
    highlight,
    mark_spans,
    name_contains,
    name_matches,
    plan_for_values,
)
from core.services.text import matching_spans, normalise, query_forms, word_forms
from core.services.urls import safe_link, safe_next, site_request_context
from core.services.web import (
    MAX_ID,
    Page,
    PageQuery,
    clamp_page,
    date_arg,
    int_arg,
    month_arg,
    multi_line,
    page_arg,
    page_count,
    page_query,
    paginate,
    parse_date,
    parse_id,
    single_line,
    year_arg,
)
from core.timeutil import from_local, site_date, site_time, site_tz, to_local, utcnow

__all__ = [
    "ACTIVITY_FORM_LABELS",
    "CATEGORY_LABELS",
    "MAX_ID",
    "SLOTS",
    "Action",
    "Association",
    "Category",
    "Certificate",
    "EmailReplyResult",
    "MailAttachment",
    "District",
    "Job",
    "Language",
    "Membership",
    "NavItem",
    "Notification",
    "NotificationKind",
    "Page",
    "PageQuery",
    "PlanLink",
    "PluginInfo",
    "PortfolioEntry",
    "ReportFigure",
    "ReportSection",
    "PostForm",
    "QauymForm",
    "ReasonableDate",
    "Region",
    "Role",
    "School",
    "SearchResult",
    "SingleLineField",
    "SlotContent",
    "Subject",
    "Tab",
    "User",
    "association_for",
    "associations",
    "audit",
    "cached_page",
    "can",
    "certificates",
    "ci_contains",
    "folded_contains",
    "forms_match",
    "handles",
    "highlight",
    "mark_spans",
    "matching_spans",
    "name_contains",
    "name_matches",
    "plan_for_values",
    "keep_folded",
    "folded_text",
    "substring_index",
    "normalise",
    "query_forms",
    "word_forms",
    "csv_export",
    "clamp_page",
    "csv_response",
    "date_arg",
    "db",
    "exclude_member",
    "from_local",
    "hookimpl",
    "int_arg",
    "limiter",
    "locking",
    "login_manager",
    "markdown",
    "notifications",
    "month_arg",
    "multi_line",
    "not_cacheable",
    "notify",
    "PAGE_CACHE_IGNORE",
    "one_of",
    "page_arg",
    "page_count",
    "page_query",
    "paginate",
    "parse_date",
    "parse_id",
    "permissions",
    "plans",
    "plugin_gate",
    "require",
    "row_choices",
    "row_or_none",
    "safe_link",
    "safe_next",
    "site_date",
    "site_request_context",
    "site_time",
    "single_line",
    "site_tz",
    "sort_by",
    "sort_key",
    "subtree",
    "to_local",
    "uploads",
    "utcnow",
    "year_arg",
]
