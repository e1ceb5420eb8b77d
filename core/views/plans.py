"""Activity plans (``/a/<slug>/plan``) and annual reports (``/a/<slug>/report/<year>``).

Plans are public like the charter unless the plan is kept to members; the leader,
coordinators and the secretary edit them. Reports: drafts are seen and edited by the leader,
published ones by everyone. Rules and figures live in :mod:`core.services.plans` and
:mod:`core.services.reports`.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.extensions import db
from core.forms import PostForm
from core.forms_plans import PlanImportForm, PlanRowForm, PlanSettingsForm, ReportForm
from core.i18n import current_locale
from core.models import AnnualReport, Association, Plan, PlanRow
from core.services import audit, permissions, reports
from core.services import plans as svc
from core.services.associations import association_or_404
from core.services.csv_export import content_disposition, csv_response
from core.timeutil import site_date, utcnow
from core.views.blueprint import bp


@bp.app_context_processor
def _plan_helpers() -> dict[str, Any]:
    return {
        "published_reports": reports.published,
        "figure_value": reports.figure_value,
        "plan_year_label": svc.year_label,
        "current_plan_year": lambda: svc.current_year(),
    }


def _year_or_404(year: int) -> int:
    if not svc.valid_year(year):
        abort(404)
    return year


def _plan_view(association: Association, year: int) -> Plan | None:
    """The plan (maybe not created yet) after the view permission check."""
    plan = svc.plan_for(association, year)
    permissions.require("plan.view", plan)
    return plan


def _row_or_404(association: Association, year: int, row_id: int) -> PlanRow:
    row = svc.row_or_none(association, row_id)
    if row is None or row.plan.year != year:
        abort(404)
    return row


def _pdf_response(data: bytes, filename: str) -> Response:
    resp = Response(data, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = content_disposition(filename).replace(
        "attachment", "inline", 1
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# The plan -------------------------------------------------------------------------------------


@bp.get("/a/<slug>/plan")
def plan_current(slug: str):
    return plan(slug, svc.current_year())


@bp.get("/a/<slug>/plan/<int:school_year>")
def plan(slug: str, school_year: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    the_plan = _plan_view(association, year)
    today = site_date()
    settings = PlanSettingsForm(members_only=bool(the_plan and the_plan.members_only))
    return render_template(
        "core/plans/plan.html",
        association=association,
        plan=the_plan,
        year=year,
        rows=the_plan.rows if the_plan else [],
        states=svc.states(association, the_plan, today),
        years=sorted({*svc.years_with_plans(association), year, svc.current_year(today)}),
        editing=permissions.can(current_user, "plan.edit", association),
        see_people=permissions.can(current_user, "plan.see_people", association),
        when=lambda row: svc.when_label(row, year),
        form_label=svc.form_label,
        settings=settings,
        post_form=PostForm(),
        report=reports.report_for(association, year),
        can_report=permissions.can(current_user, "report.edit", association),
        active_tab="core.plan",
    )


def _fill_row_form(
    form: PlanRowForm, association: Association, year: int, row: PlanRow | None = None
) -> None:
    names = svc.month_names()
    form.month.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(m), f"{names[m]} {y}") for y, m in svc.months_of(year)
    ]
    people = [SelectChoice(str(u.id), u.full_name) for u in svc.member_users(association)]
    left = row is not None and row.responsible is not None  # kept after they left
    if left and all(c.value != str(row.responsible_id) for c in people):
        people.append(SelectChoice(str(row.responsible_id), row.responsible.full_name))
    form.responsible.choices = [SelectChoice("", "—"), *people]


def _validate_row(form: PlanRowForm, year: int) -> bool:
    ok = form.validate_on_submit()
    if not ok:
        return False
    start, end = svc.bounds(year)
    if form.on_date.data and not start <= form.on_date.data < end:
        form.on_date.errors.append(
            _("Choose a date within the school year %(year)s.", year=svc.year_label(year))
        )
        return False
    if form.month.data and form.on_date.data and int(form.month.data) != form.on_date.data.month:
        form.month.errors.append(_("The month and the date disagree: choose one of them."))
        return False
    return True


def _apply_row(row: PlanRow, form: PlanRowForm) -> None:
    row.topic = form.topic.data.strip()
    row.form = form.form.data
    row.goal = form.goal.data or ""
    row.expected_result = form.expected_result.data or ""
    row.resources = form.resources.data or ""
    row.participants = form.participants.data or ""
    row.on_date = form.on_date.data
    row.month = None if form.on_date.data else (int(form.month.data) if form.month.data else None)
    row.responsible_id = int(form.responsible.data) if form.responsible.data else None


@bp.route("/a/<slug>/plan/<int:school_year>/rows/new", methods=["GET", "POST"])
def plan_row_new(slug: str, school_year: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    permissions.require("plan.edit", association)
    form = PlanRowForm()
    _fill_row_form(form, association, year)
    existing = svc.plan_for(association, year)
    if existing is not None and len(existing.rows) >= svc.MAX_ROWS and request.method == "POST":
        form.topic.errors = [_("A plan has at most %(n)s rows.", n=svc.MAX_ROWS)]
    elif _validate_row(form, year):
        the_plan = svc.plan_or_new(association, year)
        row = PlanRow(plan=the_plan, number=form.number.data or svc.next_number(the_plan))
        _apply_row(row, form)
        db.session.add(row)
        svc.touch(the_plan)
        db.session.commit()
        flash(_("The row has been added."), "success")
        return redirect(url_for("core.plan", slug=slug, school_year=year))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "core/plans/row_edit.html", association=association, year=year, form=form, row=None
    ), status


@bp.route("/a/<slug>/plan/<int:school_year>/rows/<id:row_id>/edit", methods=["GET", "POST"])
def plan_row_edit(slug: str, school_year: int, row_id: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    permissions.require("plan.edit", association)
    row = _row_or_404(association, year, row_id)
    form = PlanRowForm(obj=row if request.method == "GET" else None)
    _fill_row_form(form, association, year, row)
    if request.method == "GET":
        form.month.data = str(row.month) if row.month else ""
        form.responsible.data = str(row.responsible_id) if row.responsible_id else ""
    if _validate_row(form, year):
        if form.number.data:
            row.number = form.number.data
        _apply_row(row, form)
        svc.touch(row.plan)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("core.plan", slug=slug, school_year=year))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "core/plans/row_edit.html", association=association, year=year, form=form, row=row
    ), status


def _post_checked(association: Association) -> None:
    permissions.require("plan.edit", association)
    if not PostForm().validate_on_submit():
        abort(400)


@bp.post("/a/<slug>/plan/<int:school_year>/rows/<id:row_id>/delete")
def plan_row_delete(slug: str, school_year: int, row_id: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    _post_checked(association)
    row = _row_or_404(association, year, row_id)
    the_plan = row.plan
    audit.record(
        "plan.row_delete",
        actor=current_user,
        target=row.topic[:200],
        association_id=association.id,
        details={"year": year, "number": row.number, "topic": row.topic},
    )
    the_plan.rows.remove(row)
    svc.touch(the_plan)
    db.session.commit()
    flash(_("The row has been deleted."), "success")
    return redirect(url_for("core.plan", slug=slug, school_year=year))


@bp.post("/a/<slug>/plan/<int:school_year>/rows/<id:row_id>/move/<direction>")
def plan_row_move(slug: str, school_year: int, row_id: int, direction: str):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    if direction not in ("up", "down"):
        abort(404)
    _post_checked(association)
    row = _row_or_404(association, year, row_id)
    svc.move(row.plan, row, -1 if direction == "up" else 1)
    svc.touch(row.plan)
    db.session.commit()
    return redirect(url_for("core.plan", slug=slug, school_year=year) + f"#row-{row.id}")


@bp.post("/a/<slug>/plan/<int:school_year>/renumber")
def plan_renumber(slug: str, school_year: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    _post_checked(association)
    the_plan = svc.plan_for(association, year)
    if the_plan is not None:
        svc.renumber(the_plan)
        svc.touch(the_plan)
        db.session.commit()
    flash(_("The rows have been numbered 1, 2, 3… in their order."), "success")
    return redirect(url_for("core.plan", slug=slug, school_year=year))


@bp.post("/a/<slug>/plan/<int:school_year>/settings")
def plan_settings(slug: str, school_year: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    permissions.require("plan.edit", association)
    form = PlanSettingsForm()
    if not form.validate_on_submit():
        abort(400)
    the_plan = svc.plan_or_new(association, year)
    the_plan.members_only = bool(form.members_only.data)
    svc.touch(the_plan)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("core.plan", slug=slug, school_year=year))


# Import and export ----------------------------------------------------------------------------


def _pack(text: str) -> str:
    return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def _unpack(data: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(data.encode("ascii"))
        inflater = zlib.decompressobj()
        out = inflater.decompress(raw, svc.MAX_IMPORT_BYTES + 1)
        if len(out) > svc.MAX_IMPORT_BYTES or inflater.unconsumed_tail:
            return None
        return out.decode("utf-8")
    except (ValueError, binascii.Error, zlib.error, UnicodeError):
        return None


@bp.route("/a/<slug>/plan/<int:school_year>/import", methods=["GET", "POST"])
def plan_import(slug: str, school_year: int):
    year = school_year
    """Upload a CSV, see every parsed row with its errors, then confirm; nothing is saved
    while any line has an error."""
    association = association_or_404(slug)
    _year_or_404(year)
    permissions.require("plan.edit", association)
    form = PlanImportForm()
    parsed: list[svc.ParsedRow] | None = None
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        text: str | None = None
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            try:
                text = svc.decode(upload.read(svc.MAX_IMPORT_BYTES + 1))
            except svc.ImportError_ as exc:
                form.file.errors = [str(exc)]
        elif form.payload.data:
            text = _unpack(form.payload.data)
            if text is None:
                form.file.errors = [_("The preview could not be read: upload the file again.")]
        else:
            form.file.errors = [_("Choose a CSV file.")]
        if text is not None:
            try:
                parsed = svc.parse_csv(text, association, year)
            except svc.ImportError_ as exc:
                form.file.errors = [str(exc)]
        if parsed is not None and not parsed:
            form.file.errors = [_("The file has no rows.")]
            parsed = None
        existing = svc.plan_for(association, year)
        count = len(existing.rows) if existing else 0
        if parsed and count + len(parsed) > svc.MAX_ROWS:
            form.file.errors = [_("A plan has at most %(n)s rows.", n=svc.MAX_ROWS)]
            parsed = None
        errors = parsed is None or any(p.errors for p in parsed)
        if parsed and not errors and request.form.get("confirm") == "1" and form.payload.data:
            the_plan = svc.plan_or_new(association, year)
            added = svc.save_rows(the_plan, parsed)
            db.session.commit()
            flash(_("Rows added to the plan: %(n)s.", n=added), "success")
            return redirect(url_for("core.plan", slug=slug, school_year=year))
        if text is not None:
            form.payload.data = _pack(text)
        status = 400 if errors else 200
    return render_template(
        "core/plans/import.html",
        association=association,
        year=year,
        form=form,
        parsed=parsed,
        has_errors=bool(parsed and any(p.errors for p in parsed)),
        when=_when_of_parsed,
        form_label=svc.form_label,
    ), status


def _when_of_parsed(values: dict[str, Any]) -> str:
    if values.get("on_date"):
        return values["on_date"].strftime("%d.%m.%Y")
    if values.get("month"):
        return svc.month_names()[values["month"]]
    return ""


def _export_rows(association: Association, the_plan: Plan | None) -> tuple[list, list]:
    header = svc.column_labels()
    rows = svc.export_rows(the_plan)
    if not permissions.can(current_user, "plan.see_people", association):
        header = header[:-1]
        rows = [r[:-1] for r in rows]
    return header, rows


@bp.get("/a/<slug>/plan/<int:school_year>.csv")
def plan_csv(slug: str, school_year: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    the_plan = _plan_view(association, year)
    header, rows = _export_rows(association, the_plan)
    return csv_response(f"{association.slug}-plan-{svc.year_label(year)}.csv", header, rows)


@bp.get("/a/<slug>/plan/<int:school_year>.pdf")
def plan_pdf(slug: str, school_year: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    the_plan = _plan_view(association, year)
    header, rows = _export_rows(association, the_plan)
    data = reports.plan_pdf(association, year, header, rows)
    return _pdf_response(data, f"{association.slug}-plan-{year}.pdf")


# Annual reports -------------------------------------------------------------------------------


def _report_view(association: Association, year: int) -> AnnualReport | None:
    """The report (maybe none yet); 404 for those who may not see it (drafts included)."""
    report = reports.report_for(association, year)
    if report is not None and permissions.can(current_user, "report.view", report):
        return report
    if permissions.can(current_user, "report.edit", association):
        return report
    abort(404)


@bp.get("/a/<slug>/report/<int:school_year>")
def report(slug: str, school_year: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    the_report = _report_view(association, year)
    editing = permissions.can(current_user, "report.edit", association)
    form = ReportForm(obj=the_report) if editing else None
    is_published = the_report is not None and the_report.status == reports.PUBLISHED
    return render_template(
        "core/plans/report.html",
        association=association,
        year=year,
        report=the_report,
        published=is_published,
        data=reports.content(the_report, association, year, current_locale()),
        form=form,
        post_form=PostForm(),
        has_children=bool(association.children),
        active_tab="core.plan",
    )


@bp.post("/a/<slug>/report/<int:school_year>")
def report_save(slug: str, school_year: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    permissions.require("report.edit", association)
    form = ReportForm()
    the_report = reports.report_for(association, year)
    if the_report is not None and the_report.status == reports.PUBLISHED:
        flash(_("The report is published: return it to draft to change it."), "error")
        return redirect(url_for("core.report", slug=slug, school_year=year))
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return render_template(
            "core/plans/report.html",
            association=association,
            year=year,
            report=the_report,
            published=False,
            data=reports.content(the_report, association, year, current_locale()),
            form=form,
            post_form=PostForm(),
            has_children=bool(association.children),
            active_tab="core.plan",
        ), 400
    if the_report is None:
        the_report = AnnualReport(association_id=association.id, year=year)
        db.session.add(the_report)
    the_report.foreword = form.foreword.data or ""
    the_report.include_children = bool(form.include_children.data)
    the_report.updated_at = utcnow()
    if request.form.get("publish") == "1":
        db.session.flush()
        reports.publish(the_report, association, current_user)
        audit.record(
            "report.publish",
            actor=current_user,
            target=f"{association.slug} {year}",
            association_id=association.id,
            details={"year": year},
        )
        flash(_("The report has been published."), "success")
    else:
        flash(_("The draft has been saved."), "success")
    db.session.commit()
    return redirect(url_for("core.report", slug=slug, school_year=year))


@bp.post("/a/<slug>/report/<int:school_year>/unpublish")
def report_unpublish(slug: str, school_year: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    permissions.require("report.edit", association)
    if not PostForm().validate_on_submit():
        abort(400)
    the_report = reports.report_for(association, year)
    if the_report is None:
        abort(404)
    reports.unpublish(the_report)
    audit.record(
        "report.unpublish",
        actor=current_user,
        target=f"{association.slug} {year}",
        association_id=association.id,
        details={"year": year},
    )
    db.session.commit()
    flash(_("The report is a draft again; its figures are computed live."), "success")
    return redirect(url_for("core.report", slug=slug, school_year=year))


@bp.get("/a/<slug>/report/<int:school_year>.pdf")
def report_pdf(slug: str, school_year: int):
    year = school_year
    association = association_or_404(slug)
    _year_or_404(year)
    the_report = _report_view(association, year)
    data = reports.content(the_report, association, year, current_locale())
    is_published = the_report is not None and the_report.status == reports.PUBLISHED
    pdf = reports.report_pdf(data, the_report.foreword if the_report else "", not is_published)
    return _pdf_response(pdf, f"{association.slug}-report-{year}.pdf")
