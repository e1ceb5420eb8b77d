"""Jobs and figures: reminders of due reviews, the coordinators' dashboard, per-criterion means."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Association,
    db,
    notifications,
    site_date,
)
from plugins.expertise.models import (
    Assignment,
    AssignmentStatus,
    Review,
    Score,
    Submission,
    SubmissionState,
)
from plugins.expertise.services.experts import (
    expert_candidates,
)
from plugins.expertise.services.rubric import (
    ACTIVE_ASSIGNMENT,
    PLUGIN,
)
from plugins.expertise.services.workflow import (
    _people,
    _url,
)

REMIND_BEFORE = dt.timedelta(days=2)


def run_reminders(now: dt.datetime) -> dict[str, int]:
    """Remind experts of invitations and reviews nearing their deadline; expire unanswered
    invitations and tell coordinators about late reviews. Each person hears once per
    assignment, so running it twice changes nothing (``reminded_at``/``late_notified_at``).
    """
    from core.api import plugin_gate

    counts = {"reminded": 0, "expired": 0, "late": 0}
    rows = db.session.scalars(
        select(Assignment)
        .where(Assignment.status.in_(ACTIVE_ASSIGNMENT))
        .options(selectinload(Assignment.submission), selectinload(Assignment.expert))
    ).all()
    for a in rows:
        sub = a.submission
        if not plugin_gate.is_enabled(PLUGIN, sub.association_id):
            continue
        deadline = a.respond_by if a.status == AssignmentStatus.INVITED else a.due_at
        if a.status == AssignmentStatus.INVITED and now >= a.respond_by:
            a.status = AssignmentStatus.EXPIRED
            counts["expired"] += 1
            notifications.notify(
                _people(sub, "coordinators"),
                "expertise.assignment",
                _l("An invitation for “%(title)s” expired: assign another", title=sub.title),
                a.expert.full_name,
                url_for("expertise.assign", sub_id=sub.id),
                sub.association,
                now=now,
            )
            continue
        if a.status == AssignmentStatus.ACCEPTED and now >= a.due_at:
            if a.late_notified_at is None:
                a.late_notified_at = now
                counts["late"] += 1
                notifications.notify(
                    _people(sub, "coordinators"),
                    "expertise.assignment",
                    _l("A review of “%(title)s” is late", title=sub.title),
                    a.expert.full_name,
                    url_for("expertise.assign", sub_id=sub.id),
                    sub.association,
                    now=now,
                )
            continue
        if a.reminded_at is None and deadline - now <= REMIND_BEFORE:
            a.reminded_at = now
            counts["reminded"] += 1
            notifications.notify(
                a.expert,
                "expertise.reminder",
                _l("Reminder: “%(title)s”", title=sub.title),
                _l("The deadline is near."),
                _url(sub),
                sub.association,
                now=now,
            )
    return counts


def dashboard(association: Association, now: dt.datetime) -> dict[str, Any]:
    by_state = dict(
        db.session.execute(
            select(Submission.state, func.count(Submission.id))
            .where(Submission.association_id == association.id)
            .group_by(Submission.state)
        ).all()
    )
    overdue = db.session.scalars(
        select(Assignment)
        .join(Submission, Submission.id == Assignment.submission_id)
        .where(
            Submission.association_id == association.id,
            (
                (Assignment.status == AssignmentStatus.ACCEPTED) & (Assignment.due_at < now)
                | (Assignment.status == AssignmentStatus.INVITED) & (Assignment.respond_by < now)
            ),
        )
        .options(selectinload(Assignment.submission), selectinload(Assignment.expert))
        .order_by(Assignment.due_at)
    ).all()
    experts = expert_candidates(association)
    ids = [u.id for u in experts]
    open_load = (
        dict(
            db.session.execute(
                select(Assignment.expert_id, func.count(Assignment.id))
                .join(Submission, Submission.id == Assignment.submission_id)
                .where(
                    Assignment.expert_id.in_(ids),
                    Assignment.status.in_(ACTIVE_ASSIGNMENT),
                    Submission.association_id == association.id,
                )
                .group_by(Assignment.expert_id)
            ).all()
        )
        if ids
        else {}
    )
    done = (
        dict(
            db.session.execute(
                select(Review.expert_id, func.count(Review.id))
                .join(Submission, Submission.id == Review.submission_id)
                .where(Review.expert_id.in_(ids), Submission.association_id == association.id)
                .group_by(Review.expert_id)
            ).all()
        )
        if ids
        else {}
    )
    load = sorted(
        ((u, open_load.get(u.id, 0), done.get(u.id, 0)) for u in experts),
        key=lambda t: (-t[1], t[0].full_name),
    )
    spans = db.session.execute(
        select(Submission.submitted_at, Submission.decided_at).where(
            Submission.association_id == association.id,
            Submission.state.in_((SubmissionState.RECOMMENDED, SubmissionState.NOT_RECOMMENDED)),
            Submission.submitted_at.is_not(None),
            Submission.decided_at.is_not(None),
        )
    ).all()
    days = [(d - s).total_seconds() / 86400 for s, d in spans]
    rereview = db.session.scalars(
        select(Submission).where(
            Submission.association_id == association.id,
            Submission.state == SubmissionState.RECOMMENDED,
            Submission.rereview_due <= site_date(now),
        )
    ).all()
    return {
        "by_state": by_state,
        "overdue": overdue,
        "load": load,
        "median_days": statistics.median(days) if days else None,
        "decided": len(days),
        "rereview": rereview,
    }


def criterion_means(sub: Submission) -> list[tuple[str, float, int]]:
    """Mean score per criterion over the reviews of the last round: (title, mean, scale)."""
    rows = db.session.execute(
        select(Score.title, Score.position, func.avg(Score.score), func.max(Score.scale_max))
        .join(Review, Review.id == Score.review_id)
        .where(Review.submission_id == sub.id, Review.round == sub.round)
        .group_by(Score.title, Score.position)
        .order_by(Score.position)
    ).all()
    return [(t, float(m), int(s)) for t, _p, m, s in rows]
