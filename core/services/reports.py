"""Annual public reports of associations, and the PDFs of plans and reports.

A report covers one school year (:func:`core.services.plans.bounds`). Its figures come from
the core (members, plan rows done against planned) and from the ``annual_report`` hook of
every plugin enabled for the association. A draft is computed live on every view; publishing
freezes the figures in ``AnnualReport.snapshot``, rendered once in each of the site's
languages, so a published report reads the same later whatever happens to the data and
whoever reads it, in the reader's language.

Membership history: the core keeps when a member joined, and leaving deletes the membership.
Members at the start and at the end of the year therefore count the people who are members
now and had joined by then; people who left are not counted. The report says so.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from fpdf import FPDF
from sqlalchemy import bindparam, func, select

from core.extensions import db
from core.models import AnnualReport, Association, Membership, Plan
from core.services import plans, plugin_gate
from core.services.associations import subtree
from core.timeutil import from_local, utcnow

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
DRAFT = "draft"
PUBLISHED = "published"


def report_for(association: Association, year: int) -> AnnualReport | None:
    return db.session.scalar(
        select(AnnualReport).where(
            AnnualReport.association_id == association.id, AnnualReport.year == year
        )
    )


@functools.cache
def _published_statement():
    # Built once: every visit to an association's page lists its published reports.
    return (
        select(AnnualReport)
        .where(
            AnnualReport.association_id == bindparam("association_id"),
            AnnualReport.status == PUBLISHED,
        )
        .order_by(AnnualReport.year.desc())
    )


def published(association: Association) -> list[AnnualReport]:
    return list(db.session.scalars(_published_statement(), {"association_id": association.id}))


def subtree_ids(association: Association) -> list[int]:
    out = [association.id]

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            out.append(node["a"].id)
            walk(node["children"])

    walk(subtree(association))
    return out


def _instant(day: dt.date) -> dt.datetime:
    """Midnight of a site day, as stored (naive UTC)."""
    return from_local(dt.datetime.combine(day, dt.time()))


def _members_by(ids: list[int], before: dt.date) -> int:
    return (
        db.session.scalar(
            select(func.count(func.distinct(Membership.user_id))).where(
                Membership.association_id.in_(ids), Membership.joined_at < _instant(before)
            )
        )
        or 0
    )


def _plan_figures(associations: list[Association], year: int, today: dt.date) -> tuple[int, int]:
    planned = done = 0
    by_id = {a.id: a for a in associations}
    for plan in db.session.scalars(
        select(Plan).where(Plan.association_id.in_(list(by_id)), Plan.year == year)
    ):
        states = plans.states(by_id[plan.association_id], plan, today)
        planned += len(plan.rows)
        done += sum(1 for s in states.values() if s.state == plans.DONE)
    return planned, done


def _figure(label: Any, value: Any) -> dict[str, Any]:
    return {"label": str(label), "value": value if isinstance(value, int | float) else str(value)}


def compute(
    association: Association,
    year: int,
    include_children: bool,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The report's content in the current language, as JSON-ready data."""
    start, end = plans.bounds(year)
    ids = subtree_ids(association) if include_children else [association.id]
    associations = (
        list(db.session.scalars(select(Association).where(Association.id.in_(ids))))
        if include_children
        else [association]
    )
    planned, done = _plan_figures(associations, year, today or plans.site_date())
    core = [
        _figure(_("Members at the start of the year"), _members_by(ids, start)),
        _figure(_("Members at the end of the year"), _members_by(ids, end)),
        _figure(_("Rows of the activity plan"), planned),
        _figure(_("Rows of the plan done"), done),
    ]
    if include_children:
        core.insert(0, _figure(_("Associations counted"), len(ids)))
    registry = current_app.extensions["qauym_plugins"]
    found = []
    for name in registry.implementers("annual_report"):
        allowed = [i for i in ids if plugin_gate.is_enabled(name, i)]
        if association.id not in allowed:
            continue  # switched off for the association itself: it contributes nothing
        found += registry.collect(
            "annual_report",
            association=association,
            plugins=[name],
            association_ids=allowed,
            start=start,
            end=end,
        )
    found.sort(key=lambda c: (c.item.order, c.plugin))
    sections = [
        {
            "title": str(c.item.title),
            "figures": [_figure(f.label, f.value) for f in c.item.figures],
            "highlights": [str(h) for h in c.item.highlights],
        }
        for c in found
    ]
    return {
        "name": association.name,
        "period": plans.year_label(year),
        "start": start.isoformat(),
        "end": (end - dt.timedelta(days=1)).isoformat(),
        "core": core,
        "note": _(
            "Members are counted from the dates they joined. People who left the "
            "association are no longer recorded, so they are not counted in either figure."
        ),
        "sections": sections,
    }


def content(report: AnnualReport | None, association: Association, year: int, locale: str):
    """What to show: the snapshot in ``locale`` for a published report, else live figures."""
    if report is not None and report.status == PUBLISHED and report.snapshot:
        snap = report.snapshot
        return (
            snap.get(locale)
            or snap.get(current_app.config["DEFAULT_LOCALE"])
            or next(iter(snap.values()))
        )
    include = bool(report and report.include_children)
    return compute(association, year, include)


def publish(report: AnnualReport, association: Association, actor: Any) -> None:
    """Freeze the figures in every language and publish. Caller commits."""
    snapshot = {}
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            snapshot[locale] = compute(association, report.year, report.include_children)
    report.snapshot = snapshot
    report.status = PUBLISHED
    report.published_at = utcnow()
    report.published_by_id = getattr(actor, "id", None)
    report.updated_at = utcnow()


def unpublish(report: AnnualReport) -> None:
    report.status = DRAFT
    report.snapshot = None
    report.updated_at = utcnow()


# PDFs -----------------------------------------------------------------------------------------


def _pdf(orientation: str = "P") -> FPDF:
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(12, 12, 12)
    pdf.add_page()
    return pdf


def _text(pdf: FPDF, text: str, size: int = 10, bold: bool = False, height: float = 6) -> None:
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def report_pdf(data: dict[str, Any], foreword: str, draft: bool) -> bytes:
    pdf = _pdf()
    pdf.set_title(_("Annual report") + " " + data["period"])
    _text(pdf, data["name"], 16, bold=True, height=8)
    _text(pdf, _("Annual report for %(period)s", period=data["period"]), 13, bold=True)
    if draft:
        _text(pdf, _("Draft: not published"), 11)
    pdf.ln(3)
    if foreword:
        _text(pdf, foreword, 10, height=5)
        pdf.ln(3)

    def figures(rows: list[dict[str, Any]]) -> None:
        pdf.set_font("DejaVu", "", 10)
        with pdf.table(col_widths=(140, 46), first_row_as_headings=False) as table:
            for fig in rows:
                row = table.row()
                row.cell(str(fig["label"]))
                row.cell(_number(fig["value"]))

    _text(pdf, _("Association"), 12, bold=True)
    figures(data["core"])
    _text(pdf, data["note"], 8, height=4)
    for section in data["sections"]:
        pdf.ln(3)
        _text(pdf, section["title"], 12, bold=True)
        if section["figures"]:
            figures(section["figures"])
        for line in section["highlights"]:
            _text(pdf, "• " + line, 10, height=5)
    return bytes(pdf.output())


def _number(value: Any) -> str:
    """A figure as the reader writes it (``3,5`` in kk and ru, ``3.5`` in en)."""
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.##")
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, format="#,##0")
    return str(value)


figure_value = _number


def plan_pdf(association: Association, year: int, header: list[str], rows: list[list[Any]]):
    pdf = _pdf("L")
    pdf.set_title(_("Activity plan") + " " + plans.year_label(year))
    _text(pdf, association.name, 14, bold=True, height=7)
    _text(pdf, _("Activity plan for %(period)s", period=plans.year_label(year)), 12, bold=True)
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 7)
    widths = (9, 40, 24, 38, 38, 30, 34, 20, 40)
    with pdf.table(col_widths=widths, line_height=3.6) as table:
        head = table.row()
        for text in header:
            head.cell(str(text))
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(_number(value) if value is not None else "")
    if not rows:
        _text(pdf, _("The plan has no rows yet."), 10)
    return bytes(pdf.output())
