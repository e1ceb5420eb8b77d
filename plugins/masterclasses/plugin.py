"""Hook implementations of the master classes plugin (entry point ``masterclasses``)."""

from __future__ import annotations

import datetime as dt

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from core import hookimpl
from core.api import (
    Action,
    Certificate,
    Job,
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
    db,
    from_local,
    permissions,
    site_date,
)
from plugins.masterclasses import models, services  # noqa: F401 - models register tables
from plugins.masterclasses.models import (
    ATTENDED,
    Event,
    FeedToken,
    Host,
    Registration,
    RegStatus,
    Status,
    Visibility,
)


@hookimpl
def plugin_info():
    return PluginInfo(description=_l("Master classes and events"))


@hookimpl
def register_blueprints(app):
    from plugins.masterclasses.views import bp

    return [bp]


@hookimpl
def register_actions():
    return [
        Action(
            "masterclasses.view",
            _l("See an event (by its visibility; drafts only for its editors)"),
            lambda user, event: services.can_view(user, event),
        ),
        Action(
            "masterclasses.create",
            _l("Create events of an association (leaders, coordinators)"),
            lambda user, association: services.may_create(user, association),
        ),
        Action(
            "masterclasses.edit",
            _l("Edit an event, manage its participants and attendance (hosts, leaders)"),
            lambda user, event: services.can_edit(user, event),
        ),
        Action(
            "masterclasses.view_stats",
            _l("See an association's feedback per event form (members)"),
            lambda user, association: bool(
                getattr(user, "is_authenticated", False)
                and (
                    permissions.is_member(user, association)
                    or permissions.administers(user, association)
                )
            ),
        ),
    ]


@hookimpl
def nav_items(user):
    return [NavItem("masterclasses.index", _l("Events"), order=30)]


@hookimpl
def association_tabs(association, user):
    return [
        Tab(
            "masterclasses.association_events",
            _l("Events"),
            order=30,
            url_kwargs={"slug": association.slug},
        )
    ]


@hookimpl
def notification_kinds():
    return [
        NotificationKind("masterclasses.promoted", _l("A seat from the waitlist")),
        NotificationKind("masterclasses.changed", _l("Events cancelled or postponed")),
        NotificationKind("masterclasses.reminder", _l("Reminders before events")),
        NotificationKind("masterclasses.message", _l("Messages from the hosts of events")),
    ]


@hookimpl
def template_slot(slot, context):
    """On a teacher's home page: the next events they have a seat at."""
    user = context.get("user")
    if slot != "home.widgets" or not getattr(user, "is_authenticated", False):
        return None
    events = services.upcoming_for(user)
    if not events:
        return None
    html = render_template("masterclasses/_home_widget.html", events=events)
    return SlotContent(Markup(html), order=30)  # noqa: S704 - rendered by Jinja, autoescaped


@hookimpl
def search(query, user, limit):
    return [
        SearchResult(
            title=ev.title,
            url=url_for("masterclasses.event", event_id=ev.id),
            snippet=f"{services.form_label(ev.form)} · {ev.association.name}",
            kind=_l("Event"),
            score=1.0,
            association_id=ev.association_id,
            date=ev.starts_at,
        )
        for ev in services.search_events(query, user, limit)
    ]


@hookimpl
def portfolio_entries(user):
    """Hours attended (present or late at an event that took place) and hours hosted."""
    ended = services.has_ended
    attended = db.session.scalars(
        select(Event)
        .join(Registration, Registration.event_id == Event.id)
        .options(joinedload(Event.association))
        .where(
            Registration.user_id == user.id,
            Registration.status == RegStatus.REGISTERED,
            Registration.attendance.in_(ATTENDED),
        )
    ).all()
    hosted = db.session.scalars(
        select(Event)
        .join(Host, Host.event_id == Event.id)
        .options(joinedload(Event.association))
        .where(Host.user_id == user.id)
    ).all()
    codes = dict(
        db.session.execute(
            select(Certificate.source_key, Certificate.code).where(
                Certificate.recipient_id == user.id,
                Certificate.source_key.like("masterclasses:event:%"),
                Certificate.revoked.is_(False),
            )
        ).all()
    )
    out = []
    for kind, events in (("attended", attended), ("hosted", hosted)):
        for ev in events:
            if not ended(ev):
                continue
            out.append(
                PortfolioEntry(
                    date=site_date(ev.starts_at),
                    kind=kind,
                    title=f"{services.form_label(ev.form)}: {ev.title} ({ev.association.name})",
                    hours=ev.credit_hours,
                    role=_l("Host") if kind == "hosted" else _l("Participant"),
                    url=services.event_path(ev),
                    source="masterclasses",
                    certificate_code=codes.get(services.source_key(ev, user)),
                )
            )
    return out


@hookimpl
def register_jobs():
    return [
        Job("masterclasses.reminders", services.send_reminders, dt.timedelta(minutes=5)),
        Job("masterclasses.expire_offers", services.expire_offers, dt.timedelta(minutes=5)),
    ]


@hookimpl
def demo_data(ctx):
    from plugins.masterclasses.demo import build

    build(ctx)


@hookimpl
def user_deleted(user):
    db.session.execute(delete(FeedToken).where(FeedToken.user_id == user.id))


def _took_place(events: list) -> set[int]:
    """Ids of the events that took place: marked held (or archived), or ended with someone
    marked present."""
    held = {ev.id for ev in events if ev.status in (Status.HELD, Status.ARCHIVED)}
    ended = [ev.id for ev in events if ev.id not in held and services.has_ended(ev)]
    if ended:
        held |= set(
            db.session.scalars(
                select(Registration.event_id).where(
                    Registration.event_id.in_(ended), Registration.attendance.in_(ATTENDED)
                )
            )
        )
    return held


@hookimpl
def plan_links(association, row_ids):
    """Events linked to rows of the association's plan; done once they took place. Events
    that are not public appear under their form only, so the plan leaks no title."""
    events = db.session.scalars(
        select(Event).where(
            Event.association_id == association.id,
            Event.plan_row_id.in_(row_ids),
            Event.status.not_in([Status.DRAFT, Status.CANCELLED]),
        )
    ).all()
    done = _took_place(list(events))
    return [
        PlanLink(
            row_id=ev.plan_row_id,
            title=ev.title if ev.visibility == Visibility.PUBLIC else services.form_label(ev.form),
            url=services.event_path(ev),
            date=site_date(ev.starts_at),
            done=ev.id in done,
        )
        for ev in events
    ]


@hookimpl
def annual_report(association, association_ids, start, end):
    """Events that took place in the period: how many, their credit hours, and how many
    different people took part (present or late). Titles only of public events."""
    events = db.session.scalars(
        select(Event)
        .where(
            Event.association_id.in_(association_ids),
            Event.status.not_in([Status.DRAFT, Status.CANCELLED]),
            Event.starts_at >= from_local(dt.datetime.combine(start, dt.time())),
            Event.starts_at < from_local(dt.datetime.combine(end, dt.time())),
        )
        .order_by(Event.starts_at)
    ).all()
    held_ids = _took_place(list(events))
    held = [ev for ev in events if ev.id in held_ids]
    people = 0
    if held_ids:
        people = (
            db.session.scalar(
                select(func.count(func.distinct(Registration.user_id))).where(
                    Registration.event_id.in_(held_ids), Registration.attendance.in_(ATTENDED)
                )
            )
            or 0
        )
    public = [ev for ev in held if ev.visibility == Visibility.PUBLIC]
    return [
        ReportSection(
            title=_l("Master classes and events"),
            figures=(
                ReportFigure(_l("Events held"), len(held)),
                ReportFigure(_l("Hours of events held"), sum(ev.credit_hours for ev in held)),
                ReportFigure(_l("Participants (different people)"), people),
            ),
            highlights=tuple(
                f"{site_date(ev.starts_at).strftime('%d.%m.%Y')} · "
                f"{services.form_label(ev.form)}: {ev.title}"
                for ev in public[:12]
            ),
            order=30,
        )
    ]
