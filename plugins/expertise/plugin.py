"""Hook implementations of the expertise plugin (the ``qauym.plugins`` entry point)."""

from __future__ import annotations

import datetime as dt

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

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
    SearchResult,
    Tab,
    db,
    from_local,
    permissions,
    plugin_gate,
    site_date,
)
from plugins.expertise import models  # noqa: F401 - registers the tables
from plugins.expertise import services as svc
from plugins.expertise.models import Comment, Conflict, Review, Submission, SubmissionState


@hookimpl
def plugin_info():
    return PluginInfo(
        description=_l("Open expert review of lesson plans and a library of recommended materials")
    )


@hookimpl
def register_blueprints(app):
    from plugins.expertise.views import bp

    return [bp]


@hookimpl
def register_actions():
    return [
        Action(
            "expertise.submit",
            _l("Submit materials for expert review"),
            lambda user, association: permissions.is_member(user, association),
        ),
        Action(
            "expertise.coordinate",
            _l("Run the expert review of an association"),
            lambda user, association: permissions.manages(user, association),
        ),
        Action(
            "expertise.moderate",
            _l("Moderate comments on materials"),
            lambda user, association: permissions.moderates(user, association),
        ),
    ]


@hookimpl
def nav_items(user):
    return [NavItem("expertise.library", _l("Library"), order=40)]


@hookimpl
def association_tabs(association, user):
    return [
        Tab(
            "expertise.association_home",
            _l("Expert review"),
            order=40,
            url_kwargs={"slug": association.slug},
        )
    ]


@hookimpl
def notification_kinds():
    return [
        NotificationKind("expertise.submission", _l("Submissions to the expert review you run")),
        NotificationKind("expertise.status", _l("Progress of your submitted materials")),
        NotificationKind("expertise.invitation", _l("Invitations to review")),
        NotificationKind("expertise.reminder", _l("Review deadline reminders")),
        NotificationKind("expertise.assignment", _l("Declined, expired and late reviews")),
        NotificationKind("expertise.review", _l("Reviews submitted")),
        NotificationKind(
            "expertise.decision", _l("Decisions on materials you were asked to review")
        ),
        NotificationKind(
            "expertise.discussion", _l("Messages in the experts' discussion of a material")
        ),
        NotificationKind("expertise.response", _l("Authors' responses to your reviews")),
        NotificationKind(
            "expertise.comment", _l("Comments on your materials"), email_default=False
        ),
    ]


@hookimpl
def search(query, user, limit):
    q = (query or "").strip()
    if not q:
        return []
    stmt = (
        select(Submission)
        .where(
            Submission.state == "recommended",
            svc.library_match(q),
        )
        .order_by(Submission.published_at.desc())
        .limit(limit)
    )
    disabled = plugin_gate.disabled_association_ids("expertise")
    if disabled:
        stmt = stmt.where(Submission.association_id.not_in(disabled))
    return [
        SearchResult(
            title=s.title,
            url=url_for("expertise.submission", sub_id=s.id),
            snippet=s.abstract[:300],
            kind=_l("Library"),
            association_id=s.association_id,
            date=s.published_at,
        )
        for s in db.session.scalars(stmt)
    ]


@hookimpl
def portfolio_entries(user):
    from core.api import Certificate

    codes = dict(
        db.session.execute(
            select(Certificate.source_key, Certificate.code).where(
                Certificate.recipient_id == user.id,
                Certificate.kind.in_(("expertise.material", "expertise.review")),
                Certificate.revoked.is_(False),
            )
        ).all()
    )
    out: list[PortfolioEntry] = []
    materials = db.session.scalars(
        select(Submission).where(
            # Published once: a re-review in progress does not take the entry away.
            Submission.published_at.is_not(None),
            or_(
                Submission.author_id == user.id,
                Submission.coauthors.any(id=user.id),
            ),
        )
    ).all()
    for s in materials:
        out.append(
            PortfolioEntry(
                date=site_date(s.published_at),
                kind="material",
                title=s.title,
                role=svc.MATERIAL_TYPES.get(s.material_type, s.material_type),
                url=url_for("expertise.submission", sub_id=s.id),
                source="expertise",
                certificate_code=codes.get(f"expertise:material:{s.id}:user:{user.id}"),
            )
        )
    reviews = db.session.scalars(select(Review).where(Review.expert_id == user.id)).all()
    subs = (
        {
            s.id: s
            for s in db.session.scalars(
                select(Submission).where(Submission.id.in_({r.submission_id for r in reviews}))
            )
        }
        if reviews
        else {}
    )
    for r in reviews:
        s = subs[r.submission_id]
        out.append(
            PortfolioEntry(
                date=site_date(r.submitted_at),
                kind="review",
                title=s.title,
                hours=r.hours or 0.0,
                role=_l("Expert"),
                url=url_for("expertise.submission", sub_id=s.id),
                source="expertise",
                certificate_code=codes.get(f"expertise:review:{r.id}"),
            )
        )
    return out


@hookimpl
def register_jobs():
    return [Job("expertise.reminders", svc.run_reminders, dt.timedelta(hours=1))]


@hookimpl
def user_deleted(user):
    """Comments and declared conflicts go; submitted materials and reviews stay (they are
    part of the association's record) but no longer point at the account's comments."""
    db.session.execute(Comment.__table__.delete().where(Comment.author_id == user.id))
    db.session.execute(Conflict.__table__.delete().where(Conflict.expert_id == user.id))


@hookimpl
def demo_data(ctx):
    from plugins.expertise.demo import build

    build(ctx)


@hookimpl
def annual_report(association, association_ids, start, end):
    """Expert review in the period: materials submitted, reviews written, materials
    recommended (the library's titles, which are public)."""
    since = from_local(dt.datetime.combine(start, dt.time()))
    until = from_local(dt.datetime.combine(end, dt.time()))
    mine = Submission.association_id.in_(association_ids)
    submitted = db.session.scalar(
        select(func.count(Submission.id)).where(
            mine, Submission.submitted_at >= since, Submission.submitted_at < until
        )
    )
    reviews = db.session.scalar(
        select(func.count(Review.id))
        .join(Submission, Submission.id == Review.submission_id)
        .where(mine, Review.submitted_at >= since, Review.submitted_at < until)
    )
    recommended = db.session.scalars(
        select(Submission.title)
        .where(
            mine,
            Submission.state == SubmissionState.RECOMMENDED,
            Submission.published_at >= since,
            Submission.published_at < until,
        )
        .order_by(Submission.published_at)
    ).all()
    return [
        ReportSection(
            title=_l("Expert review of materials"),
            figures=(
                ReportFigure(_l("Materials submitted for review"), submitted or 0),
                ReportFigure(_l("Reviews written"), reviews or 0),
                ReportFigure(_l("Materials recommended to the library"), len(recommended)),
            ),
            highlights=tuple(recommended[:12]),
            order=50,
        )
    ]
