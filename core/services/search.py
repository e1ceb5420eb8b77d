"""Site search: the core searches associations and people; plugins add results through the
``search`` hook.

Results are scoped to what the user may read: people only for logged-in users, and a plugin's
results are dropped where the plugin is switched off for the result's association. Snippets
and titles are always treated as plain text: :func:`highlight` escapes them first and only
then wraps matches in ``<mark>``, so nothing a plugin or a user typed reaches the page as HTML.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, and_, func, literal, literal_column, or_, select, text
from sqlalchemy import column as sql_column
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import table as sql_table

from core.collation import sort_by, sort_key
from core.extensions import db
from core.i18n import current_locale
from core.models import SUBSTRING_INDEXES, Association, User
from core.plugin_api import SearchResult
from core.services import permissions, plugin_gate
from core.services import text as text_forms
from core.services.urls import safe_link

log = logging.getLogger("qauym.search")

MIN_QUERY = 2
MAX_QUERY = 100
DEFAULT_LIMIT = 20


def like_pattern(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _unicode_lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


def ci_contains(column: Any, query: str) -> ColumnElement[bool]:
    """``column`` contains ``query``, ignoring case also for Kazakh and Russian letters.

    SQLite's built-in ``lower()`` only folds ASCII, so on SQLite a Python ``lower`` is
    registered on the current connection and used instead; PostgreSQL's ``lower()`` folds
    Unicode already. Plugins may use this for their own ``search`` hook.
    """
    pattern = like_pattern(query)
    if db.session.get_bind().dialect.name == "sqlite":
        raw = db.session.connection().connection.driver_connection
        raw.create_function("qauym_lower", 1, _unicode_lower, deterministic=True)
        return func.qauym_lower(column).like(pattern, escape="\\")
    return func.lower(column).like(pattern, escape="\\")


def folded_contains(column: Any, query: str) -> ColumnElement[bool]:
    """The folded text ``column`` (``core.api.keep_folded``) contains ``query`` as typed,
    case ignored in every alphabet (ё as е): a plain ``LIKE``, served by the column's
    trigram index (``core.api.substring_index``) for three characters or more
    (:func:`_indexed`)."""
    folded = text_forms.fold(query)
    indexed = _indexed(column, [[folded]])
    if indexed is not None:
        return indexed
    return column.contains(folded, autoescape=True)


def name_contains(query: str) -> ColumnElement[bool]:
    """A user's name contains ``query`` (:func:`folded_contains` over ``User.name_folded``)."""
    return folded_contains(User.name_folded, query)


def name_matches(query: str) -> ColumnElement[bool]:
    """A user's name contains ``query``'s words, each in one of its forms (as
    :func:`forms_match` on ``User.name_folded``): the site search's people, contacts.
    Served by the names' trigram index when every pattern has three characters or more."""
    return forms_match([User.name_folded], query, folded=True)


def _indexed(column: Any, groups: list[list[str]]) -> ColumnElement[bool] | None:
    """SQLite: rows whose folded ``column`` contains, for each group, one of its strings,
    found through the column's trigram FTS5 table (``core.models.substring_index``: a quoted
    string of three characters or more matches where it is a substring, as ``LIKE
    '%...%'``); ``None`` where that table cannot answer (a column without one, a string
    shorter than three characters, no strings) or on PostgreSQL, where the planner takes
    the pg_trgm index for the ``LIKE`` itself."""
    col = getattr(column, "expression", column)
    name = SUBSTRING_INDEXES.get(col)
    if name is None or not groups or any(len(a) < 3 for group in groups for a in group):
        return None
    if db.session.get_bind().dialect.name != "sqlite":
        return None

    def quoted(a: str) -> str:
        return '"{}"'.format(a.replace('"', '""'))

    expr = " AND ".join("(" + " OR ".join(quoted(a) for a in group) + ")" for group in groups)
    fts = f"{name}_fts"
    ids = select(sql_table(fts, sql_column("rowid", db.Integer)).c.rowid).where(
        literal_column(fts).op("MATCH")(expr)
    )
    return col.table.c.id.in_(ids)


def _alternatives(query: str) -> list[list[str]]:
    """For each word of ``query`` (two letters or more), the folded strings one of which the
    text must contain: the word, its forms (:mod:`core.services.text`) and their voiced
    spellings, cut to those no other one is part of."""
    out = []
    for word in text_forms.words(query):
        if len(word) < 2:
            continue
        alts = text_forms.like_alternatives(
            (text_forms.fold(word),) + text_forms.query_word_forms(word)
        )
        out.append(_shortest_only(alts))
    return out


def forms_match(columns: list[Any], query: str, folded: bool = False) -> ColumnElement[bool]:
    """One of ``columns`` contains ``query`` as typed, or each word of ``query`` in one of its
    forms (:mod:`core.services.text`): "мұғалімдері" finds "Жас мұғалімдер клубы", "уроков"
    finds "Открытые уроки". For text not stored normalised (a ``LIKE`` on each form, case
    ignored as in :func:`ci_contains`); text with a ``search_text`` column is better searched
    through a full-text index over that column, as the forum does.

    ``folded=True``: the columns hold text already folded (``core.services.text.fold``, as
    ``User.name_folded``), so a plain ``LIKE`` of the folded query and forms does, with no
    per-row function: the database's own loop (about 10x faster on SQLite). A single column
    indexed by ``core.models.substring_index`` is read through its index instead when every
    pattern has three characters or more (on SQLite a ``MATCH`` of its FTS5 table, on
    PostgreSQL the same ``LIKE``, which the planner serves from the pg_trgm index).
    """
    alternatives = _alternatives(query)
    if folded:
        # The query as typed needs no test of its own here: text that contains it contains
        # each of its words, and each word is among its alternatives.
        groups = alternatives or [[text_forms.fold(query)]]
        if len(columns) == 1:
            indexed = _indexed(columns[0], groups)
            if indexed is not None:
                return indexed
        return and_(
            *[
                or_(*[c.contains(a, autoescape=True) for c in columns for a in alts])
                for alts in groups
            ]
        )
    if db.session.get_bind().dialect.name == "sqlite":
        # One Python call per row, lower-casing each value once, instead of one per column
        # and alternative (``ci_contains`` registers a function for each LIKE): the site
        # search's people (100,000 names at the bench's national scale) were read with a
        # dozen calls per name. The same test: a case-ignoring substring.
        raw = db.session.connection().connection.driver_connection
        raw.create_function("qauym_forms_match", -1, _forms_match_row, deterministic=True)
        spec = json.dumps([query.lower(), [[a.lower() for a in alts] for alts in alternatives]])
        return func.qauym_forms_match(literal(spec), *columns) == 1
    whole = [ci_contains(c, query) for c in columns]
    per_word = [or_(*[ci_contains(c, a) for c in columns for a in alts]) for alts in alternatives]
    if per_word:
        whole.append(and_(*per_word))
    return or_(*whole)


def _shortest_only(alts: list[str]) -> list[str]:
    """The alternatives no other one is part of: text containing "сабақтар" contains
    "сабақ", so looking for "сабақ" alone finds the same rows with one ``LIKE`` less per row
    (a stem is part of most of its forms: a name search tried four patterns, now two)."""
    kept: list[str] = []
    for a in sorted(dict.fromkeys(alts), key=len):
        if not any(k in a for k in kept):
            kept.append(a)
    return kept


_SPECS: dict[str, Any] = {}


def _forms_match_row(spec: str, *values: str | None) -> int:
    """SQLite's ``qauym_forms_match(spec, column, ...)`` for :func:`forms_match`: 1 when one
    value contains the query, or each word in one of its forms (``spec`` is the JSON of
    ``[query, [[forms of word 1], ...]]``, all lower case)."""
    parsed = _SPECS.get(spec)
    if parsed is None:
        if len(_SPECS) > 256:
            _SPECS.clear()
        parsed = _SPECS[spec] = json.loads(spec)
    whole, words = parsed
    texts = [v.lower() for v in values if v]
    if any(whole in t for t in texts):
        return 1
    if words and all(any(a in t for t in texts for a in alts) for alts in words):
        return 1
    return 0


def highlight(text: Any, query: str) -> Markup:
    """``text`` as safe HTML, with each occurrence of ``query`` and each word whose form
    matches a word of ``query`` ("сабақтарымызда" for "сабақ") wrapped in ``<mark>``.

    Markup given by a plugin is reduced to its text first, so that highlighting (and what is
    HTML) is decided here only.
    """
    plain = text.striptags() if isinstance(text, Markup) else str(text or "")
    query = (query or "").strip()
    if not query:
        return escape(plain)
    spans = [m.span() for m in re.finditer(re.escape(query), plain, flags=re.IGNORECASE)]
    spans += text_forms.matching_spans(plain, query)
    return mark_spans(plain, spans)


def mark_spans(plain: str, spans: list[tuple[int, int]]) -> Markup:
    """``plain`` escaped, the (possibly overlapping) ``spans`` wrapped in ``<mark>``."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out = Markup("")
    pos = 0
    for start, end in merged:
        out += escape(plain[pos:start]) + Markup("<mark>{}</mark>").format(plain[start:end])
        pos = end
    return out + escape(plain[pos:])


def safe_url(url: str) -> bool:
    """Only site paths and http(s) links are shown; a ``javascript:`` link never is."""
    return safe_link(url) is not None


@dataclass
class Group:
    """One block of results on the search page."""

    key: str  # "associations", "people" or a plugin name
    label: Any
    results: list[SearchResult] = field(default_factory=list)


def _association_results(query: str, limit: int) -> list[SearchResult]:
    # Names, abbreviations and topic in both languages, matched on their folded copy
    # through its trigram index (migration core_0090): a Python function over each
    # association's six columns took 25 ms a search at 5,000 associations on SQLite.
    rows = db.session.scalars(
        select(Association)
        .where(forms_match([Association.search_folded], query, folded=True))
        .order_by(Association.member_count.desc(), Association.name_kk)
        .limit(limit)
    )
    return [
        SearchResult(
            title=a.name,
            url=url_for("core.association", slug=a.slug),
            snippet=a.charter_text("topic", current_locale())[0][:200],
            kind=_l("Association"),
            score=2.0,
            association_id=a.id,
        )
        for a in rows
    ]


def _people_results(query: str, user: Any, limit: int) -> list[SearchResult]:
    rows = db.session.scalars(
        select(User)
        .options(selectinload(User.school))
        .where(User.active.is_(True), name_matches(query))
        .order_by(User.full_name)
        .limit(limit)
    ).all()
    loc = current_locale()
    rows = sort_by(rows, lambda p: p.full_name, loc)  # in the reader's alphabet
    # The school is a personal detail: shown only to those who may see the profile's details.
    visible = permissions.visible_profiles(user, rows)
    return [
        SearchResult(
            title=p.full_name,
            url=url_for("core.profile", user_id=p.id),
            snippet=p.school.name if p.school and p.id in visible else "",
            kind=_l("Teacher"),
            score=1.5,
        )
        for p in rows
    ]


def core_results(query: str, user: Any, limit: int) -> list[SearchResult]:
    """Associations (public) and, for logged-in users, people."""
    out = _association_results(query, limit)
    if getattr(user, "is_authenticated", False):
        out += _people_results(query, user, limit)
    return out


def _plugin_label(name: str) -> Any:
    info = current_app.extensions["qauym_plugins"].info.get(name)
    return (info.description if info and info.description else None) or name


def plan_for_values() -> None:
    """PostgreSQL: plan this transaction's statements for the values they are given, not once
    for any value. Statements prepared on a connection (``core.services.read_only_end``) are
    otherwise planned once generically, which suits the pages' look-ups by key but not a
    search, whose best plan depends on what was typed. Ends with the transaction."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"))


def site_search(query: str, user: Any, limit: int = DEFAULT_LIMIT) -> list[Group]:
    """Results grouped by source: associations, people, then each plugin; best first.

    Queries shorter than :data:`MIN_QUERY` give nothing; longer than :data:`MAX_QUERY` are
    cut. A plugin whose hook raises is logged and left out, so one broken plugin does not
    break the search page.
    """
    query = (query or "").strip()[:MAX_QUERY]
    if len(query) < MIN_QUERY:
        return []
    plan_for_values()
    groups = [Group("associations", _l("Associations"), _association_results(query, limit))]
    if getattr(user, "is_authenticated", False):
        groups.append(Group("people", _l("People"), _people_results(query, user, limit)))
    registry = current_app.extensions["qauym_plugins"]
    by_plugin: dict[str, list[SearchResult]] = {}
    plugin_groups: list[Group] = []
    for c in registry.collect("search", query=query, user=user, limit=limit):
        by_plugin.setdefault(c.plugin, []).append(c.item)
    for name, results in by_plugin.items():
        off = plugin_gate.disabled_association_ids(name)
        kept = [
            r if r.kind else replace(r, kind=_plugin_label(name))
            for r in results
            if safe_url(r.url) and (r.association_id is None or r.association_id not in off)
        ]
        kept.sort(key=lambda r: -r.score)
        plugin_groups.append(Group(name, _plugin_label(name), kept[:limit]))
    # Plugins' groups in the reader's alphabet of their names; within a group best first,
    # equal scores in the reader's alphabet.
    loc = current_locale()
    groups += sort_by(plugin_groups, lambda g: str(g.label), loc)
    for g in groups:
        g.results.sort(key=lambda r: (-r.score, sort_key(str(r.title), loc)))
    return [g for g in groups if g.results]
