"""Activity plans of associations: school years, rows, their state, CSV import.

A plan belongs to one association and one school year, named by its starting year (2026 is
the year from September 2026 to August 2027; the first month is ``SCHOOL_YEAR_START_MONTH``,
9 by default). Each row says when (a month, or an exact date) and what; plugins link their
objects to rows (``plan_links`` hook) and the plan shows each row as planned, done or overdue.

For plugins (re-exported from :mod:`core.api`):

* :func:`row_choices` gives ``(id, label)`` pairs for a ``SelectField`` in a plugin's form;
* :func:`row_or_none` checks that a submitted id is a row of that association's plan.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from babel.dates import get_month_names
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.i18n import current_locale
from core.labels import ACTIVITY_FORM_LABELS
from core.models import Association, Membership, Plan, PlanRow, User
from core.plugin_api import PlanLink
from core.timeutil import site_date, utcnow

MIN_YEAR = 2000
MAX_YEAR = 2100
MAX_ROWS = 300  # rows in one plan
MAX_IMPORT_BYTES = 64 * 1024

PLANNED = "planned"
DONE = "done"
OVERDUE = "overdue"


# School years ---------------------------------------------------------------------------------


def start_month() -> int:
    try:
        month = int(current_app.config.get("SCHOOL_YEAR_START_MONTH", 9))
    except (TypeError, ValueError):
        return 9
    return month if 1 <= month <= 12 else 9


def year_of(day: dt.date) -> int:
    """The school year (its starting year) a site day belongs to."""
    return day.year if day.month >= start_month() else day.year - 1


def current_year(today: dt.date | None = None) -> int:
    return year_of(today or site_date())


def bounds(year: int) -> tuple[dt.date, dt.date]:
    """``(start, end)``: the school year is ``start <= day < end``."""
    first = start_month()
    return dt.date(year, first, 1), dt.date(year + 1, first, 1)


def valid_year(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def year_label(year: int) -> str:
    """``2026–27`` (one calendar year when the school year starts in January)."""
    if start_month() == 1:
        return str(year)
    return f"{year}–{(year + 1) % 100:02d}"


def months_of(year: int) -> list[tuple[int, int]]:
    """The school year's ``(calendar year, month)`` in order."""
    first = start_month()
    return [(year + (first + i - 1) // 12, (first + i - 1) % 12 + 1) for i in range(12)]


def calendar_year_of_month(year: int, month: int) -> int:
    return year if month >= start_month() else year + 1


def month_names(locale: str | None = None) -> dict[int, str]:
    names = get_month_names("wide", context="stand-alone", locale=locale or current_locale())
    return {m: str(names[m])[:1].upper() + str(names[m])[1:] for m in range(1, 13)}


def due_date(row: PlanRow, year: int) -> dt.date | None:
    """The last day on which the row is on time (its date, or the last day of its month)."""
    if row.on_date is not None:
        return row.on_date
    if row.month:
        cal_year = calendar_year_of_month(year, row.month)
        return dt.date(cal_year, row.month, calendar.monthrange(cal_year, row.month)[1])
    return None


def when_label(row: PlanRow, year: int, locale: str | None = None) -> str:
    if row.on_date is not None:
        return row.on_date.strftime("%d.%m.%Y")
    if row.month:
        return f"{month_names(locale)[row.month]} {calendar_year_of_month(year, row.month)}"
    return ""


def form_label(value: str) -> str:
    return str(ACTIVITY_FORM_LABELS.get(value, value))


# Plans and rows -------------------------------------------------------------------------------


def plan_for(association: Association, year: int) -> Plan | None:
    """The plan with its rows and their responsible members (three queries, any size)."""
    return db.session.scalar(
        select(Plan)
        .options(selectinload(Plan.rows).selectinload(PlanRow.responsible))
        .where(Plan.association_id == association.id, Plan.year == year)
    )


def plan_or_new(association: Association, year: int) -> Plan:
    plan = plan_for(association, year)
    if plan is None:
        plan = Plan(association_id=association.id, year=year)
        db.session.add(plan)
        db.session.flush()
    return plan


def years_with_plans(association: Association) -> list[int]:
    return list(
        db.session.scalars(
            select(Plan.year).where(Plan.association_id == association.id).order_by(Plan.year)
        )
    )


def next_number(plan: Plan) -> int:
    top = db.session.scalar(select(func.max(PlanRow.number)).where(PlanRow.plan_id == plan.id))
    return (top or 0) + 1


def renumber(plan: Plan) -> None:
    for i, row in enumerate(sorted(plan.rows, key=lambda r: (r.number, r.id)), start=1):
        row.number = i


def move(plan: Plan, row: PlanRow, step: int) -> None:
    """Move a row one place up (``step=-1``) or down, renumbering the plan 1..n."""
    rows = sorted(plan.rows, key=lambda r: (r.number, r.id))
    i = rows.index(row)
    j = i + step
    if 0 <= j < len(rows):
        rows[i], rows[j] = rows[j], rows[i]
    for n, r in enumerate(rows, start=1):
        r.number = n


def touch(plan: Plan) -> None:
    plan.updated_at = utcnow()


def member_users(association: Association) -> list[User]:
    """Members of the association (who may be responsible for a row), by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.association_id == association.id)
            .order_by(User.full_name, User.id)
        )
    )


# For plugins ----------------------------------------------------------------------------------


def row_choices(
    association: Association, around: dt.date | None = None, include: int | None = None
) -> list[tuple[int, str]]:
    """``(row id, "7. Topic (October 2026)")`` for the rows of the association's plan for the
    school year of ``around`` (a site day; today when omitted), for a plugin's select field.
    ``include`` keeps an already chosen row in the list even when it belongs to another year.
    """
    year = current_year(around)
    rows = list(
        db.session.scalars(
            select(PlanRow)
            .join(Plan, Plan.id == PlanRow.plan_id)
            .where(Plan.association_id == association.id, Plan.year == year)
            .order_by(PlanRow.number, PlanRow.id)
        )
    )
    if include and all(r.id != include for r in rows):
        extra = row_or_none(association, include)
        if extra is not None:
            rows.insert(0, extra)
    return [(r.id, row_label(r)) for r in rows]


def row_label(row: PlanRow) -> str:
    when = when_label(row, row.plan.year)
    return f"{row.number}. {row.topic}" + (f" ({when})" if when else "")


def row_or_none(association: Association, row_id: Any) -> PlanRow | None:
    """The row with this id if it belongs to the association's plan (any year), else None."""
    try:
        rid = int(row_id)
    except (TypeError, ValueError):
        return None
    if not 0 < rid < 2**31:
        return None
    return db.session.scalar(
        select(PlanRow)
        .join(Plan, Plan.id == PlanRow.plan_id)
        .where(PlanRow.id == rid, Plan.association_id == association.id)
    )


# States ---------------------------------------------------------------------------------------


@dataclass
class RowState:
    state: str
    links: list[PlanLink] = field(default_factory=list)


def links_for(association: Association, row_ids: list[int]) -> dict[int, list[PlanLink]]:
    """What the plugins enabled for the association linked to these rows (only those rows)."""
    out: dict[int, list[PlanLink]] = {rid: [] for rid in row_ids}
    if not row_ids:
        return out
    registry = current_app.extensions["qauym_plugins"]
    for link in registry.items("plan_links", association=association, row_ids=list(row_ids)):
        if link.row_id in out:
            out[link.row_id].append(link)
    for links in out.values():
        links.sort(key=lambda lk: (lk.date or dt.date.max, str(lk.title)))
    return out


def states(
    association: Association, plan: Plan | None, today: dt.date | None = None
) -> dict[int, RowState]:
    """Each row as done (a linked object took place), overdue (its month or date has passed in
    site time with nothing done) or planned."""
    if plan is None:
        return {}
    today = today or site_date()
    links = links_for(association, [r.id for r in plan.rows])
    out: dict[int, RowState] = {}
    for row in plan.rows:
        row_links = links.get(row.id, [])
        due = due_date(row, plan.year)
        if any(lk.done for lk in row_links):
            state = DONE
        elif due is not None and due < today:
            state = OVERDUE
        else:
            state = PLANNED
        out[row.id] = RowState(state, row_links)
    return out


# CSV ------------------------------------------------------------------------------------------

COLUMNS = (
    "number",
    "topic",
    "form",
    "goal",
    "expected_result",
    "resources",
    "participants",
    "when",
    "responsible",
)


def column_labels() -> list[str]:
    """The CSV header in the current language (the import accepts it in any language)."""
    return [
        _("No."),
        _("Topic"),
        _("Form of activity"),
        _("Goal"),
        _("Expected result"),
        _("Resources"),
        _("Participants and venue"),
        _("Month or date"),
        _("Responsible"),
    ]


def export_rows(plan: Plan | None) -> list[list[Any]]:
    if plan is None:
        return []
    return [
        [
            r.number,
            r.topic,
            form_label(r.form),
            r.goal,
            r.expected_result,
            r.resources,
            r.participants,
            when_label(r, plan.year),
            r.responsible.full_name if r.responsible else "",
        ]
        for r in plan.rows
    ]


@dataclass
class ParsedRow:
    line: int
    cells: list[str]
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class ImportError_(Exception):  # noqa: N801 - not the builtin
    """The file as a whole cannot be read; ``str(error)`` is shown to the user."""


def decode(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportError_(
            _("The file is too large (at most %(kb)s KB).", kb=MAX_IMPORT_BYTES // 1024)
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(_('The file is not in UTF-8: save it as "CSV UTF-8".')) from None
    if "\x00" in text:
        raise ImportError_(_("This is not a CSV text file."))
    return text


def _lookups() -> tuple[dict[str, str], dict[str, int], set[str]]:
    """Form labels and month names in every language (lower case), and header words."""
    forms: dict[str, str] = {}
    months: dict[str, int] = {}
    headers: set[str] = set()
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            for value, text in ACTIVITY_FORM_LABELS.items():
                forms[str(text).casefold()] = value
            headers.add(_("Topic").casefold())
        for context in ("stand-alone", "format"):
            for m, name in get_month_names("wide", context=context, locale=locale).items():
                months[str(name).casefold()] = m
    for value in ACTIVITY_FORM_LABELS:
        forms[value] = value
    headers.add("topic")
    return forms, months, headers


_DATE_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_when(text: str, year: int, months: dict[str, int]) -> tuple[int | None, dt.date | None]:
    """``(month, None)`` or ``(None, date)`` from "10", "October", "октябрь 2026", "15.10.2026"
    or "2026-10-15"; raises ValueError with a message for the user."""
    text = text.strip()
    if not text:
        return None, None
    match = _DATE_DMY.match(text) or _DATE_ISO.match(text)
    if match:
        parts = [int(p) for p in match.groups()]
        d, m, y = parts if _DATE_DMY.match(text) else (parts[2], parts[1], parts[0])
        try:
            day = dt.date(y, m, d)
        except ValueError:
            raise ValueError(_("%(text)s is not a date.", text=text)) from None
        start, end = bounds(year)
        if not start <= day < end:
            raise ValueError(
                _("%(text)s is outside the school year %(year)s.", text=text, year=year_label(year))
            )
        return None, day
    words = text.casefold().split()
    if len(words) == 2 and words[1].isdigit():  # "October 2026"
        if int(words[1]) != calendar_year_of_month(year, months.get(words[0], 0) or 1):
            raise ValueError(
                _("%(text)s is outside the school year %(year)s.", text=text, year=year_label(year))
            )
        words = words[:1]
    if len(words) == 1:
        word = words[0]
        if word.isdigit() and 1 <= int(word) <= 12:
            return int(word), None
        if word in months:
            return months[word], None
    raise ValueError(
        _("Write a month (October or 10) or a date (15.10.2026), not %(text)s.", text=text)
    )


def _find_member(text: str, members: list[User]) -> User | None:
    needle = text.strip().casefold()
    for user in members:
        if user.email.casefold() == needle or user.full_name.strip().casefold() == needle:
            return user
    return None


def parse_csv(text: str, association: Association, year: int) -> list[ParsedRow]:
    """Every data line of a plan CSV (``;`` or ``,`` between cells, an optional header line),
    with its values or its errors in the user's language. Columns, in order: number, topic,
    form, goal, expected result, resources, participants and venue, month or date,
    responsible (a member's name or email)."""
    sample = text[:4096]
    first_line = sample.splitlines()[0] if sample.splitlines() else ""
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    forms, months, headers = _lookups()
    members = member_users(association)
    out: list[ParsedRow] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise ImportError_(_("The file cannot be read as CSV: %(error)s", error=str(exc))) from None
    for index, cells in enumerate(lines, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if index == 1 and len(cells) > 1 and cells[1].casefold() in headers:
            continue  # the header line
        row = ParsedRow(index, cells)
        out.append(row)
        cells = (cells + [""] * len(COLUMNS))[: len(COLUMNS)]
        if len(row.cells) > len(COLUMNS) and any(row.cells[len(COLUMNS) :]):
            row.errors.append(_("Too many cells: a line has at most %(n)s.", n=len(COLUMNS)))
        raw = dict(zip(COLUMNS, cells, strict=True))
        number = raw["number"].rstrip(".")
        if number and not (number.isdigit() and 0 < int(number) < 10000):
            row.errors.append(
                _("The number must be a whole number from 1, not %(text)s.", text=number)
            )
        else:
            row.values["number"] = int(number) if number else None
        if not raw["topic"]:
            row.errors.append(_("The topic is missing."))
        elif len(raw["topic"]) > 300:
            row.errors.append(_("The topic is longer than %(n)s characters.", n=300))
        row.values["topic"] = raw["topic"]
        form = forms.get(raw["form"].casefold())
        if form is None:
            row.errors.append(_("Unknown form of activity: %(text)s.", text=raw["form"] or "—"))
        row.values["form"] = form
        for key in ("goal", "expected_result", "resources", "participants"):
            if len(raw[key]) > 5000:
                row.errors.append(_("A cell is longer than %(n)s characters.", n=5000))
            row.values[key] = raw[key]
        try:
            row.values["month"], row.values["on_date"] = parse_when(raw["when"], year, months)
        except ValueError as exc:
            row.errors.append(str(exc))
        row.values["responsible"] = None
        if raw["responsible"]:
            user = _find_member(raw["responsible"], members)
            if user is None:
                row.errors.append(
                    _("%(text)s is not a member of the association.", text=raw["responsible"])
                )
            row.values["responsible"] = user
    return out


def save_rows(plan: Plan, parsed: Iterable[ParsedRow]) -> int:
    """Add the parsed rows (all valid) to the plan; numbers left empty follow on. Caller
    commits."""
    number = next_number(plan)
    added = 0
    for p in parsed:
        v = p.values
        row = PlanRow(
            plan=plan,
            number=v["number"] or number,
            topic=v["topic"],
            form=v["form"],
            goal=v["goal"],
            expected_result=v["expected_result"],
            resources=v["resources"],
            participants=v["participants"],
            month=v["month"],
            on_date=v["on_date"],
            responsible_id=v["responsible"].id if v["responsible"] else None,
        )
        db.session.add(row)
        number = max(number, row.number) + 1
        added += 1
    touch(plan)
    return added
