"""What arrives in a URL, read safely: ids in paths, page numbers and filters in query strings.

Every value here comes from a visitor and may be anything: ``9999999999999999999999``, ``-1``,
``abc``, ``9999-12``. None of them may reach the database as a number it cannot hold (the id
columns are ``integer``: 2**31-1 at most on PostgreSQL) or as a date Python cannot build; a
bad value is treated as absent, never as a 500.

* ``<id:name>`` in a route (registered by ``create_app`` before any blueprint) matches a
  database id, 1..2**31-1; anything else does not match, so the URL answers 404.
* :func:`page_arg`, :func:`int_arg`, :func:`date_arg`, :func:`month_arg`, :func:`year_arg`
  read one query argument each and return ``None`` (or page 1) for a missing or bad value.
* :func:`single_line` / :func:`multi_line` clean text of control and bidi characters (the
  forms of :mod:`core.forms` use them); :func:`clean_request_input`, run before every view,
  takes them out of query arguments and answers 404 for a path segment with a NUL.
* :func:`paginate` runs a list query one page at a time. **The rule for pages everywhere: a
  page past the last one shows the last page** (and a page below 1 the first one).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import abort, request
from sqlalchemy import Integer, bindparam, func, select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from core.extensions import db

#: The largest id an id column holds: the models' ids are ``Integer``, which is a 32-bit
#: ``integer`` on PostgreSQL (SQLite would take 64 bits). A larger id compared with such a
#: column is an error on PostgreSQL ("out of range for type integer"), so it must never
#: reach a query.
MAX_ID = 2**31 - 1
#: No list has this many pages; a larger ``page=`` is read as this one (then clamped).
MAX_PAGE = 1_000_000
#: Years a date in a URL or a form may have.
MIN_YEAR = 1900
MAX_YEAR = 2200


_BIDI = "\u202a-\u202e\u2066-\u2069"
#: Removed everywhere: NUL and other C0 controls but TAB/LF/CR, DEL, C1 controls (but NEL),
#: bidirectional embeddings, overrides and isolates.
_NEVER = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f{_BIDI}]")
#: Line breaks and tabs, which a single-line field turns into one space.
_BREAKS = re.compile("[\t\n\r\x85\u2028\u2029]+")
_MULTI_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029]")


def single_line(value: Any) -> Any:
    """Text for a one-line field: no control or bidi characters, line breaks and tabs as one
    space, trimmed. Anything not a string is returned as it is."""
    if not isinstance(value, str):
        return value
    return _BREAKS.sub(" ", _NEVER.sub("", value)).strip()


def multi_line(value: Any) -> Any:
    """Text for a text area: no NUL, control or bidi characters, line breaks kept (as ``\\n``)
    and tabs kept."""
    if not isinstance(value, str):
        return value
    return _MULTI_BREAKS.sub("\n", _NEVER.sub("", value))


def clean_request_input() -> None:
    """``before_request`` of the app: a path segment with a NUL is a 404 (no row can match it,
    and PostgreSQL refuses the query); control and bidi characters are removed from query
    arguments (names and values), so a view never passes them to the database."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and "\x00" in value:
            abort(404)
    items = list(request.args.items(multi=True))
    if any(_NEVER.search(k) or _NEVER.search(v) for k, v in items):
        request.__dict__["args"] = ImmutableMultiDict(
            [(_NEVER.sub("", k), _NEVER.sub("", v)) for k, v in items]
        )


class IdConverter(IntegerConverter):
    """``<id:topic_id>``: a positive database id (1..2**31-1); anything else is a 404."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        super().__init__(map, min=1, max=MAX_ID)


def _raw(name: str) -> str:
    return (request.args.get(name) or "").strip()


def _parse_int(raw: str) -> int | None:
    if not raw or len(raw) > 40:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def parse_id(raw: str | None) -> int | None:
    """A database id typed or posted as text (``"42"``), 1..2**31-1, else ``None``."""
    value = _parse_int((raw or "").strip())
    return value if value is not None and 1 <= value <= MAX_ID else None


def int_arg(name: str, *, lo: int = 1, hi: int = MAX_ID) -> int | None:
    """The query argument ``name`` as an int in ``lo..hi``; ``None`` when missing, not a
    number, or out of range (a filter given a bad value is as if it were not given)."""
    value = _parse_int(_raw(name))
    if value is None or not lo <= value <= hi:
        return None
    return value


def page_arg(name: str = "page") -> int:
    """The page number asked for: 1 when missing, bad or below 1; at most :data:`MAX_PAGE`.
    :func:`paginate` then moves a page past the last one to the last one."""
    value = _parse_int(_raw(name))
    if value is None or value < 1:
        return 1
    return min(value, MAX_PAGE)


def parse_date(raw: str | None, *, lo: dt.date | None = None, hi: dt.date | None = None):
    """``YYYY-MM-DD`` as a date within ``lo..hi`` (default years 1900..2200), else ``None``."""
    lo = lo or dt.date(MIN_YEAR, 1, 1)
    hi = hi or dt.date(MAX_YEAR, 12, 31)
    raw = (raw or "").strip()
    if not raw or len(raw) > 10:
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    return value if lo <= value <= hi else None


def date_arg(name: str, *, lo: dt.date | None = None, hi: dt.date | None = None) -> dt.date | None:
    """The query argument ``name`` as a ``YYYY-MM-DD`` date within ``lo..hi`` (by default years
    1900..2200, so a day before or after it, or a conversion to UTC, cannot overflow)."""
    return parse_date(_raw(name), lo=lo, hi=hi)


def year_arg(name: str = "year", *, lo: int = MIN_YEAR, hi: int = MAX_YEAR) -> int | None:
    """The query argument ``name`` as a year in ``lo..hi``, else ``None``."""
    return int_arg(name, lo=lo, hi=hi)


def month_arg(name: str = "month") -> tuple[int, int] | None:
    """The query argument ``name`` as ``YYYY-MM`` → ``(year, month)`` with the year in
    1900..2200, else ``None``."""
    raw = _raw(name)
    year_s, sep, month_s = raw.partition("-")
    if not sep or not (year_s.isdigit() and month_s.isdigit()) or len(raw) > 7:
        return None
    year, month = int(year_s), int(month_s)
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return year, month


@dataclass
class Page:
    """One page of a list: ``items``, the ``total`` count, this ``page`` (1-based) of
    ``pages`` (at least 1)."""

    items: list[Any]
    total: int
    page: int
    pages: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-int(total or 0) // per_page))


def clamp_page(page: int, total: int, per_page: int) -> int:
    """``page`` moved into ``1..pages`` (a page past the last one is the last one)."""
    return min(max(int(page), 1), page_count(total, per_page))


@dataclass(frozen=True)
class PageQuery:
    """The statements :func:`paginate` runs for one list, built by :func:`page_query`: the
    count, and the page's rows (or its keys, then the rows of those keys), with the page's
    limit and offset as bound parameters."""

    count: Any
    window: Any
    rows: Any = None  # with ``key``: the rows of the page's keys


def page_query(stmt, *, options: Iterable[Any] = (), key=None) -> PageQuery:
    """The statements that page through ``stmt`` (see :func:`paginate`).

    A list a page runs on every visit can build them once, from a ``stmt`` with
    ``bindparam()`` for every value, in a function under ``@functools.cache``, and pass the
    values to ``paginate(..., params={...})``. Deriving the count and the page's statement
    and computing their cache keys cost as much as running them: 0.7 of the 1.4 ms a board's
    topic list took on SQLite at scale 1.
    """
    limit = bindparam("_page_limit", type_=Integer)
    offset = bindparam("_page_offset", type_=Integer)
    count = select(func.count()).select_from(stmt.order_by(None).subquery())
    window = stmt.limit(limit).offset(offset)
    if key is None:
        return PageQuery(count=count, window=window.options(*options))
    entity = stmt.column_descriptions[0]["entity"]
    rows = select(entity).where(key.in_(bindparam("_page_keys", expanding=True)))
    return PageQuery(count=count, window=window.with_only_columns(key), rows=rows.options(*options))


def paginate(
    stmt,
    page: int,
    per_page: int,
    *,
    options: Iterable[Any] = (),
    key=None,
    params: dict[str, Any] | None = None,
) -> Page:
    """Count ``stmt`` (a ``select`` of one entity, filtered and ordered), then load page
    ``page`` of it with the loader ``options``. A page past the last one gives the last page.

    With ``key`` (the entity's primary key column, e.g. ``Event.id``) the page is found in
    two steps, a "deferred join": the keys of the page first (``stmt`` reduced to that
    column, which an index holding the filtered and ordered columns answers without reading
    a row), then the rows of those keys alone. Without it the database reads the whole row of
    every candidate it filters and sorts, which costs more the more rows are filtered out.

    ``stmt`` may be a :class:`PageQuery` (:func:`page_query`, built once), with the values of
    its bound parameters in ``params``; ``options`` and ``key`` are then the ones it was built
    with.
    """
    query = stmt if isinstance(stmt, PageQuery) else page_query(stmt, options=options, key=key)
    params = dict(params or {})
    total = db.session.scalar(query.count, params) or 0
    page = clamp_page(page, total, per_page)
    params.update(_page_limit=per_page, _page_offset=(page - 1) * per_page)
    if query.rows is None:
        items = list(db.session.scalars(query.window, params).all())
    else:
        keys = list(db.session.scalars(query.window, params).all())
        rows = (
            db.session.scalars(query.rows, {**params, "_page_keys": keys}).unique() if keys else ()
        )
        name = query.window.selected_columns[0].key
        found = {getattr(row, name): row for row in rows}
        items = [found[k] for k in keys if k in found]  # one deleted meanwhile is left out
    return Page(
        items=items,
        total=int(total),
        page=page,
        pages=page_count(total, per_page),
        per_page=per_page,
    )


__all__ = [
    "MAX_ID",
    "MAX_PAGE",
    "MAX_YEAR",
    "MIN_YEAR",
    "IdConverter",
    "Page",
    "clamp_page",
    "clean_request_input",
    "date_arg",
    "int_arg",
    "month_arg",
    "multi_line",
    "page_arg",
    "page_count",
    "PageQuery",
    "page_query",
    "paginate",
    "single_line",
    "parse_date",
    "parse_id",
    "year_arg",
]
