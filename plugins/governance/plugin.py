"""Hook implementations of the governance plugin (the ``governance`` entry point)."""

from __future__ import annotations

import datetime as dt

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from core.api import (
    Action,
    Association,
    Job,
    NotificationKind,
    PlanLink,
    PluginInfo,
    PortfolioEntry,
    ReportFigure,
    ReportSection,
    SearchResult,
    SlotContent,
    Tab,
    ci_contains,
    db,
    from_local,
    hookimpl,
    plugin_gate,
    site_date,
)
from plugins.governance import services as svc
from plugins.governance.models import (
    AgendaItem,
    Election,
    Exclusion,
    GeneralMeeting,
    MeetingAttendance,
    Minutes,
    Office,
)

PLUGIN = "governance"


@hookimpl
def plugin_info():
    return PluginInfo(
        description=_l("Governance: general meetings, quorum, votes, minutes, elections, petitions")
    )


@hookimpl
def register_blueprints(app):
    from plugins.governance.views import bp

    return [bp]


def _may_view_exclusion(user, ex: Exclusion) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    association = db.session.get(Association, ex.association_id)
    return (
        ex.user_id == user.id
        or svc.may_manage(user, association)
        or user.id in svc.council_ids(association)
    )


@hookimpl
def register_actions():
    return [
        Action(
            "governance.browse",
            _l("See an association's meetings and elections"),
            lambda u, o: svc.may_view(u, o),
        ),
        Action(
            "governance.manage",
            _l("Convene and run general meetings, elections and proposals"),
            lambda u, o: svc.may_manage(u, o),
        ),
        Action(
            "governance.vote",
            _l("Vote, nominate and sign petitions (voting members)"),
            lambda u, o: svc.is_voting_member(u, o),
        ),
        Action(
            "governance.read_minutes",
            _l("Read a meeting's minutes"),
            lambda u, o: svc.may_read_minutes(u, o),
        ),
        Action(
            "governance.view_exclusion",
            _l("See a proposal to exclude a member"),
            _may_view_exclusion,
        ),
    ]


@hookimpl
def association_tabs(association, user):
    return [
        Tab("governance.index", _l("Governance"), order=70, url_kwargs={"slug": association.slug})
    ]


@hookimpl
def template_slot(slot, context):
    """On the association's sidebar: who holds each office, and a petition that has reached
    its quarter (a meeting must be convened)."""
    if slot != "association.sidebar":
        return None
    association = context.get("association")
    if association is None:
        return None
    offices = svc.current_offices(association)
    petition = svc.open_petition(association)
    alert = petition is not None and petition.state == "reached"
    if not offices and not alert:
        return None
    html = render_template(
        "governance/_sidebar.html",
        association=association,
        offices=offices,
        alert=alert,
        svc=svc,
    )
    return SlotContent(Markup(html), order=50)  # noqa: S704 - rendered by Jinja, autoescaped


@hookimpl
def notification_kinds():
    return [
        NotificationKind("governance.notice", _l("Governance: notice of a general meeting")),
        NotificationKind("governance.election", _l("Governance: nominations and ballots")),
        NotificationKind("governance.term", _l("Governance: a term of office ends soon")),
        NotificationKind(
            "governance.petition", _l("Governance: an extraordinary meeting is requested")
        ),
        NotificationKind("governance.exclusion", _l("Governance: exclusion proceedings")),
    ]


@hookimpl
def search(query, user, limit):
    """Published minutes and adopted decisions the user may read: the newest ``3 * limit``
    matching minutes, their meetings, associations and agenda items loaded with them (a
    fixed number of statements, not three per match), at most ``limit`` results."""
    off = plugin_gate.disabled_association_ids(PLUGIN)
    out: list[SearchResult] = []
    meeting = joinedload(Minutes.meeting)
    rows = db.session.scalars(
        select(Minutes)
        .join(GeneralMeeting, GeneralMeeting.id == Minutes.meeting_id)
        .options(
            meeting.joinedload(GeneralMeeting.association),
            meeting.selectinload(GeneralMeeting.items),
        )
        .where(
            Minutes.frozen_at.is_not(None),
            ci_contains(GeneralMeeting.title, query) | ci_contains(Minutes.body, query),
        )
        .order_by(GeneralMeeting.starts_at.desc())
        .limit(limit * 3)
    )
    for m in rows:
        meeting = m.meeting
        if meeting.association_id in off or not svc.may_read_minutes(user, m):
            continue
        out.append(
            SearchResult(
                title=meeting.title,
                url=url_for(
                    "governance.minutes", slug=meeting.association.slug, meeting_id=meeting.id
                ),
                snippet=m.body[:200],
                kind=str(_l("Minutes")),
                association_id=meeting.association_id,
                date=meeting.starts_at,
            )
        )
        for item in meeting.items:
            if item.passed and (query.lower() in (item.motion + item.title).lower()):
                out.append(
                    SearchResult(
                        title=item.title,
                        url=url_for(
                            "governance.minutes",
                            slug=meeting.association.slug,
                            meeting_id=meeting.id,
                        ),
                        snippet=item.motion[:200],
                        kind=str(_l("Decision")),
                        association_id=meeting.association_id,
                        date=meeting.starts_at,
                    )
                )
    return out[:limit]


@hookimpl
def portfolio_entries(user):
    off = plugin_gate.disabled_association_ids(PLUGIN)
    out = []
    rows = db.session.execute(
        select(GeneralMeeting)
        .join(MeetingAttendance, MeetingAttendance.meeting_id == GeneralMeeting.id)
        .where(MeetingAttendance.user_id == user.id, GeneralMeeting.state == "closed")
    ).scalars()
    for meeting in rows:
        if meeting.association_id in off:
            continue
        out.append(
            PortfolioEntry(
                date=site_date(meeting.starts_at),
                kind="meeting",
                title=f"{meeting.association.name}: {meeting.title}",
                role=_l("Took part in the general meeting"),
                url=url_for(
                    "governance.meeting", slug=meeting.association.slug, meeting_id=meeting.id
                ),
                source=PLUGIN,
            )
        )
    for office in db.session.scalars(select(Office).where(Office.user_id == user.id)):
        if office.association_id in off:
            continue
        association = db.session.get(Association, office.association_id)
        label = svc.POSITION_LABELS.get(office.position, office.position)
        out.append(
            PortfolioEntry(
                date=office.starts_on,
                kind="office",
                title=f"{association.name}: {label} {office.label}".strip(),
                role=label,
                url=url_for("governance.index", slug=association.slug),
                source=PLUGIN,
            )
        )
    return out


@hookimpl
def plan_links(association, row_ids):
    """Meetings that realise rows of the association's activity plan (``plan_row_id``)."""
    ids = [int(r) for r in row_ids]
    if not ids:
        return []
    meetings = db.session.scalars(
        select(GeneralMeeting).where(
            GeneralMeeting.association_id == association.id, GeneralMeeting.plan_row_id.in_(ids)
        )
    )
    return [
        PlanLink(
            row_id=m.plan_row_id,
            title=m.title,
            url=url_for("governance.meeting", slug=association.slug, meeting_id=m.id),
            date=site_date(m.starts_at),
            done=m.state == "closed",
        )
        for m in meetings
    ]


@hookimpl
def annual_report(association, association_ids, start, end):
    ids = list(association_ids)
    lo = from_local(dt.datetime.combine(start, dt.time()))
    hi = from_local(dt.datetime.combine(end, dt.time()))
    held = (
        db.session.scalar(
            select(func.count(GeneralMeeting.id)).where(
                GeneralMeeting.association_id.in_(ids),
                GeneralMeeting.state == "closed",
                GeneralMeeting.starts_at >= lo,
                GeneralMeeting.starts_at < hi,
            )
        )
        or 0
    )
    decisions = (
        db.session.scalar(
            select(func.count(AgendaItem.id))
            .join(GeneralMeeting, GeneralMeeting.id == AgendaItem.meeting_id)
            .join(Minutes, Minutes.meeting_id == GeneralMeeting.id)
            .where(
                Minutes.frozen_at.is_not(None),  # decisions count once the minutes are approved
                GeneralMeeting.association_id.in_(ids),
                AgendaItem.passed.is_(True),
                GeneralMeeting.starts_at >= lo,
                GeneralMeeting.starts_at < hi,
            )
        )
        or 0
    )
    elections = (
        db.session.scalar(
            select(func.count(Election.id)).where(
                Election.association_id.in_(ids),
                Election.state == "closed",
                Election.closed_at >= lo,
                Election.closed_at < hi,
            )
        )
        or 0
    )
    return [
        ReportSection(
            title=_l("Governance"),
            figures=(
                ReportFigure(_l("General meetings held"), held),
                ReportFigure(_l("Decisions adopted"), decisions),
                ReportFigure(_l("Elections held"), elections),
            ),
            order=80,
        )
    ]


@hookimpl
def register_jobs():
    return [
        Job("governance.notices", svc.send_notices, dt.timedelta(minutes=15)),
        Job("governance.close_ballots", svc.close_due_ballots, dt.timedelta(minutes=5)),
        Job("governance.term_notices", svc.term_end_notices, dt.timedelta(days=1)),
    ]


@hookimpl
def demo_data(ctx):
    from plugins.governance.demo import build

    build(ctx)


@hookimpl
def user_deleted(user):
    """MeetingAttendance, open votes, signatures, candidacies and offices go with the account; the
    secret tallies hold nobody's name; minutes keep the names written in them."""
    svc.forget_user(user)
