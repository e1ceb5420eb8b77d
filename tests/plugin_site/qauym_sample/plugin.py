from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core import hookimpl
from core.api import (
    Action,
    Job,
    NavItem,
    NotificationKind,
    PluginInfo,
    PortfolioEntry,
    SearchResult,
    SlotContent,
    Tab,
    User,
    association_for,
    db,
    notifications,
    permissions,
    site_date,
)


class SampleNote(db.Model):
    __tablename__ = "sample_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("core_association.id"))
    text: Mapped[str] = mapped_column(String(200))


class SampleTick(db.Model):
    """One row per day the sample job ran: proves a job can be idempotent."""

    __tablename__ = "sample_tick"
    day: Mapped[dt.date] = mapped_column(primary_key=True)


bp = Blueprint("sample", __name__, template_folder="templates", static_folder="static")


@bp.get("/")
def home():
    return render_template("sample/home.html")


@bp.get("/<slug>")
def notes(slug: str):
    association = association_for("sample", slug)
    permissions.require("sample.use", association)
    rows = db.session.scalars(
        select(SampleNote).where(SampleNote.association_id == association.id)
    ).all()
    return render_template("sample/notes.html", association=association, notes=rows)


@hookimpl
def plugin_info():
    return PluginInfo(description="Sample plugin (tests only)", name="sample")


@hookimpl
def register_blueprints(app):
    return [bp]


@hookimpl
def register_actions():
    return [
        Action(
            "sample.use",
            "Use the sample plugin in an association",
            lambda user, association: permissions.is_member(user, association),
        )
    ]


@hookimpl
def nav_items(user):
    return [NavItem("sample.home", "Sample", order=90)]


@hookimpl
def association_tabs(association, user):
    if not permissions.can(user, "sample.use", association):
        return []
    return [Tab("sample.notes", "Sample notes", order=50, url_kwargs={"slug": association.slug})]


@hookimpl
def template_slot(slot, context):
    if slot == "association.sidebar":
        html = Markup('<p class="sample-slot">sample for {}</p>').format(
            context["association"].slug
        )
        return SlotContent(html, order=10)
    return None


@hookimpl
def notification_kinds():
    return [NotificationKind("sample.ping", "Sample pings")]


@hookimpl
def search(query, user, limit):
    rows = db.session.scalars(
        select(SampleNote).where(func.lower(SampleNote.text).contains(query.lower())).limit(limit)
    ).all()
    return [
        SearchResult(
            title=n.text, url=f"/sample/{n.association_id}", association_id=n.association_id
        )
        for n in rows
        if current_user.is_authenticated
    ]


@hookimpl
def portfolio_entries(user):
    return [
        PortfolioEntry(dt.date(2026, 1, 15), "attended", "Sample seminar", 2.0, source="sample")
    ]


def _tick(now: dt.datetime) -> None:
    day = site_date(now)
    if db.session.get(SampleTick, day) is None:
        db.session.add(SampleTick(day=day))
        for user in db.session.scalars(select(User)):
            notifications.notify(user, "sample.ping", "Daily sample ping", email=False, now=now)


@hookimpl
def register_jobs():
    return [Job("sample.tick", _tick, dt.timedelta(minutes=1))]


@hookimpl
def demo_data(ctx):
    for association in ctx.associations.values():
        db.session.add(SampleNote(association_id=association.id, text="Үлгі жазба / Пример"))
    db.session.commit()
    ctx.log("sample: one note per association")


@hookimpl
def plan_links(association, row_ids):
    """A note whose text is ``plan:<row id>`` realises that row (done); ``plan:<id>:later``
    is linked but has not happened yet."""
    from core.api import PlanLink

    notes = db.session.scalars(
        select(SampleNote).where(
            SampleNote.association_id == association.id, SampleNote.text.like("plan:%")
        )
    ).all()
    out = []
    for note in notes:
        parts = note.text.split(":")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) in row_ids:
            done = len(parts) == 2
            out.append(
                PlanLink(int(parts[1]), f"Sample note {note.id}", f"/sample/x{note.id}", done=done)
            )
    return out


@hookimpl
def annual_report(association, association_ids, start, end):
    from core.api import ReportFigure, ReportSection

    count = db.session.scalar(
        select(func.count(SampleNote.id)).where(SampleNote.association_id.in_(association_ids))
    )
    return [
        ReportSection(
            "Sample notes",
            figures=(ReportFigure("Notes written", count or 0),),
            highlights=(f"Period {start.isoformat()} to {end.isoformat()}",),
            order=50,
        )
    ]
