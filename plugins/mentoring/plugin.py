"""Hook implementations of the mentoring plugin (the ``mentoring`` entry point)."""

from __future__ import annotations

import datetime as dt

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core import hookimpl
from core.api import (
    Action,
    Job,
    NavItem,
    NotificationKind,
    PluginInfo,
    PortfolioEntry,
    ReportFigure,
    ReportSection,
    SlotContent,
    Tab,
    db,
    from_local,
    permissions,
    plugin_gate,
    site_date,
)
from plugins.mentoring import models, services
from plugins.mentoring.models import (
    Meeting,
    MentorProfile,
    NoviceRequest,
    Pair,
    PairState,
    Programme,
)


@hookimpl
def plugin_info():
    return PluginInfo(
        description=_l("Mentoring of young specialists: programmes, matching, plans, reports")
    )


@hookimpl
def register_blueprints(app):
    from plugins.mentoring.views import bp

    return [bp]


def _authenticated(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


@hookimpl
def register_actions():
    return [
        Action(
            "mentoring.use",
            _l("Use mentoring"),
            lambda u, o: (
                _authenticated(u) and plugin_gate.is_enabled_for_region("mentoring", u.region_id)
            ),
        ),
        Action(
            "mentoring.browse",
            _l("See an association's mentoring programmes"),
            lambda u, o: permissions.is_member(u, o) or permissions.manages(u, o),
        ),
        Action(
            "mentoring.create_programme",
            _l("Create mentoring programmes in an association"),
            lambda u, o: permissions.manages(u, o),
        ),
        Action(
            "mentoring.view_programme",
            _l("See a mentoring programme"),
            lambda u, o: services.may_view_programme(u, o),
        ),
        Action(
            "mentoring.coordinate",
            _l("Coordinate a mentoring programme"),
            lambda u, o: services.is_coordinator(u, o),
        ),
        Action(
            "mentoring.view_pair",
            _l("See a mentoring pair's plan, meetings and observations"),
            lambda u, o: services.may_view_pair(u, o),
        ),
    ]


@hookimpl
def nav_items(user):
    return [NavItem("mentoring.index", _l("Mentoring"), order=60, action="mentoring.use")]


@hookimpl
def association_tabs(association, user):
    if not permissions.can(user, "mentoring.browse", association):
        return []
    count = db.session.scalar(
        select(func.count(Programme.id)).where(Programme.association_id == association.id)
    )
    return [
        Tab(
            "mentoring.programmes",
            _l("Mentoring"),
            order=60,
            url_kwargs={"slug": association.slug},
            count=count or None,
        )
    ]


@hookimpl
def template_slot(slot, context):
    """On the home page: the proposals waiting for this user's answer."""
    if slot != "home.widgets":
        return None
    user = context.get("user")
    if not _authenticated(user):
        return None
    waiting = [
        p
        for p in services.waiting_for_answer(user)
        if p.programme.association_id not in plugin_gate.disabled_association_ids("mentoring")
    ]
    if not waiting:
        return None
    html = render_template("mentoring/_home_widget.html", pairs=waiting, svc=services)
    return SlotContent(Markup(html), order=40)  # noqa: S704 - rendered by Jinja, autoescaped


@hookimpl
def notification_kinds():
    return [
        NotificationKind("mentoring.proposal", _l("Mentoring: a pair proposed to you")),
        NotificationKind(
            "mentoring.pair_update",
            _l("Mentoring: a pair accepted, declined, paused, resumed, completed or ended"),
        ),
        NotificationKind(
            "mentoring.mentor_approval", _l("Mentoring: mentor profiles to approve and decisions")
        ),
        NotificationKind(
            "mentoring.observation", _l("Mentoring: your lesson was observed"), email_default=False
        ),
        NotificationKind(
            "mentoring.meeting",
            _l("Mentoring: a meeting planned, moved or cancelled, and reminders"),
        ),
        NotificationKind("mentoring.message", _l("Mentoring: a message in your pair")),
        NotificationKind(
            "mentoring.request", _l("Mentoring: requests for a mentor and their decisions")
        ),
        NotificationKind("mentoring.pulse", _l("Mentoring: the monthly question how it is going")),
    ]


@hookimpl
def register_jobs():
    return [
        Job("mentoring.reminders", services.send_reminders, dt.timedelta(minutes=5)),
        Job("mentoring.pulse", services.ask_pulse, dt.timedelta(hours=1)),
    ]


@hookimpl
def portfolio_entries(user):
    """A completed pair counts for both people: mentoring hours (the meeting durations) for
    the mentor, with the certificate's code, and the same hours of support for the novice."""
    pairs = db.session.scalars(
        select(Pair)
        .join(MentorProfile, MentorProfile.id == Pair.mentor_id)
        .join(NoviceRequest, NoviceRequest.id == Pair.novice_id)
        .where(
            Pair.state == "completed",
            (MentorProfile.user_id == user.id) | (NoviceRequest.user_id == user.id),
        )
        .options(
            selectinload(Pair.mentor).selectinload(MentorProfile.user),
            selectinload(Pair.novice).selectinload(NoviceRequest.user),
            selectinload(Pair.meetings),
            selectinload(Pair.programme),
        )
    ).all()
    off = plugin_gate.disabled_association_ids("mentoring")
    out = []
    for pair in pairs:
        if pair.programme.association_id in off:
            continue
        is_mentor = pair.mentor.user_id == user.id
        cert = services.find_mentor_certificate(pair) if is_mentor else None
        other = pair.novice.user.full_name if is_mentor else pair.mentor.user.full_name
        out.append(
            PortfolioEntry(
                date=site_date(pair.finished_at or pair.created_at),
                kind="mentoring",
                title=f"{pair.programme.name}: {other}",
                hours=services.meeting_hours(pair),
                role=_l("Mentor") if is_mentor else _l("Young specialist"),
                url=url_for("mentoring.pair_report", pair_id=pair.id),
                source="mentoring",
                certificate_code=cert.code if cert else None,
            )
        )
    return out


@hookimpl
def demo_data(ctx):
    from plugins.mentoring.demo import build

    build(ctx)


@hookimpl
def user_deleted(user):
    """Enrolments go with the account (their pairs, plans and logs cascade); certificates
    stay, as the core keeps them with the recipient's name."""
    for model in (MentorProfile, NoviceRequest):
        for row in db.session.scalars(select(model).where(model.user_id == user.id)):
            db.session.delete(row)
    db.session.execute(
        models.ProgrammeCoordinator.__table__.delete().where(
            models.ProgrammeCoordinator.user_id == user.id
        )
    )


@hookimpl
def annual_report(association, association_ids, start, end):
    """Mentoring in the period: pairs at work, pairs completed, meetings held and their hours
    (figures only: pairs are private to the pair and the coordinators)."""
    since = from_local(dt.datetime.combine(start, dt.time()))
    until = from_local(dt.datetime.combine(end, dt.time()))
    in_scope = Pair.programme_id.in_(
        select(Programme.id).where(Programme.association_id.in_(association_ids))
    )
    working = db.session.scalar(
        select(func.count(Pair.id)).where(
            in_scope,
            Pair.started_at.is_not(None),
            Pair.started_at < until,
            (Pair.finished_at.is_(None)) | (Pair.finished_at >= since),
        )
    )
    completed = db.session.scalar(
        select(func.count(Pair.id)).where(
            in_scope,
            Pair.state == PairState.COMPLETED,
            Pair.finished_at >= since,
            Pair.finished_at < until,
        )
    )
    meetings, minutes = db.session.execute(
        select(func.count(Meeting.id), func.coalesce(func.sum(Meeting.duration_minutes), 0))
        .join(Pair, Pair.id == Meeting.pair_id)
        .where(
            in_scope,
            Meeting.status == "held",
            Meeting.deleted_at.is_(None),
            Meeting.held_on >= start,
            Meeting.held_on < end,
        )
    ).one()
    return [
        ReportSection(
            title=_l("Mentoring of young specialists"),
            figures=(
                ReportFigure(_l("Mentoring pairs at work"), working or 0),
                ReportFigure(_l("Pairs that completed their programme"), completed or 0),
                ReportFigure(_l("Mentoring meetings held"), meetings or 0),
                ReportFigure(_l("Hours of mentoring meetings"), round((minutes or 0) / 60, 1)),
            ),
            order=60,
        )
    ]
