"""Report figures, coordinators, labels, meetings and observations."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    User,
    db,
    notifications,
    site_date,
)
from plugins.mentoring import matching
from plugins.mentoring.models import (
    Goal,
    Meeting,
    MentorProfile,
    MentorStatus,
    NoviceRequest,
    Observation,
    Observed,
    Pair,
    PairState,
    Programme,
    ProgrammeCoordinator,
    split_codes,
)
from plugins.mentoring.services.matching_service import (
    novices,
)
from plugins.mentoring.services.meetings import in_log
from plugins.mentoring.services.roles import (
    AREAS,
    GOAL_CLOSED,
    LANGUAGES,
    OPEN_STATES,
    STATE_LABELS,
    WORKING_STATES,
    side_of,
)


@dataclass
class PairFigures:
    pair: Pair
    meetings: int
    hours: float
    observations: int
    overdue_goals: int
    goals: int
    expected_meetings: int  # the programme's monthly rule times the months the pair worked


def months_worked(pair: Pair, today: dt.date) -> int:
    """Whole 30-day months from the start of the pair to its end (or today)."""
    if pair.started_at is None:
        return 0
    end = site_date(pair.finished_at) if pair.finished_at else today
    return max(0, (end - site_date(pair.started_at)).days // 30)


@dataclass
class ProgrammeFigures:
    novices: int
    with_mentor: list[NoviceRequest]
    without_mentor: list[NoviceRequest]
    by_state: dict[str, int]
    meetings_by_month: list[tuple[str, int, float]]
    overdue: list[tuple[Goal, Pair]]
    pairs: list[PairFigures]
    observations_required: int
    pending_mentors: list[MentorProfile]


def pairs_of(programme: Programme) -> list[Pair]:
    return list(
        db.session.scalars(
            select(Pair)
            .where(Pair.programme_id == programme.id)
            .options(
                selectinload(Pair.mentor).selectinload(MentorProfile.user),
                selectinload(Pair.novice).selectinload(NoviceRequest.user),
                selectinload(Pair.goals),
                selectinload(Pair.meetings),
                selectinload(Pair.observations),
            )
            .order_by(Pair.id)
        )
    )


def programme_figures(programme: Programme, today: dt.date | None = None) -> ProgrammeFigures:
    today = today or site_date()
    pairs = pairs_of(programme)
    all_novices = novices(programme)
    taken = {p.novice_id for p in pairs if p.state in (*OPEN_STATES, PairState.COMPLETED)}
    by_state = Counter(p.state for p in pairs)
    months: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    overdue: list[tuple[Goal, Pair]] = []
    rows = []
    for p in pairs:
        # only meetings on days the pair worked: from its start to its end (or today)
        counted = [m for m in p.meetings if in_log(p, m, today)]
        for m in counted:
            key = m.held_on.strftime("%Y-%m")
            months[key][0] += 1
            months[key][1] += m.duration_minutes / 60.0
        late = (
            [g for g in p.goals if g.status not in GOAL_CLOSED and g.target_date < today]
            if p.state in WORKING_STATES
            else []
        )
        overdue.extend((g, p) for g in late)
        rows.append(
            PairFigures(
                p,
                len(counted),
                round(sum(m.duration_minutes for m in counted) / 60.0, 2),
                len(p.observations),
                len(late),
                len(p.goals),
                months_worked(p, today) * programme.meetings_per_month,
            )
        )
    pending = list(
        db.session.scalars(
            select(MentorProfile)
            .where(
                MentorProfile.programme_id == programme.id,
                MentorProfile.status == MentorStatus.PENDING,
            )
            .options(selectinload(MentorProfile.user))
        )
    )
    return ProgrammeFigures(
        novices=len(all_novices),
        with_mentor=[n for n in all_novices if n.id in taken],
        without_mentor=[n for n in all_novices if n.id not in taken],
        by_state={s: by_state.get(s, 0) for s in STATE_LABELS},
        meetings_by_month=[(k, int(v[0]), round(v[1], 2)) for k, v in sorted(months.items())],
        overdue=sorted(overdue, key=lambda x: x[0].target_date),
        pairs=rows,
        observations_required=programme.observations_required,
        pending_mentors=pending,
    )


def set_coordinators(programme: Programme, user_ids: Iterable[int]) -> None:
    wanted = set(user_ids)
    for c in list(programme.coordinators):
        if c.user_id not in wanted:
            programme.coordinators.remove(c)
    have = {c.user_id for c in programme.coordinators}
    for uid in sorted(wanted - have):
        programme.coordinators.append(ProgrammeCoordinator(user_id=uid))


def area_labels(codes: str | Iterable[str]) -> list[str]:
    items = split_codes(codes) if isinstance(codes, str) else list(codes)
    return [str(AREAS.get(c, c)) for c in items]


def reason_text(reason: matching.Reason, subject_name: str = "") -> str:
    """One reason of a match score, in the user's language."""
    c = reason.code
    if c == "base":
        return _("meets the programme's rules")
    if c == "subject":
        return _("teaches your subject (%(subject)s)", subject=subject_name)
    if c == "language":
        return _(
            "teaches in %(language)s",
            language=str(LANGUAGES.get(reason.detail[0], reason.detail[0])),
        )
    if c == "school":
        return _("works in your school")
    if c == "district":
        return _("works in your district")
    if c == "needs":
        return _(
            "strong where you need help: %(areas)s", areas=", ".join(area_labels(reason.detail))
        )
    if c == "grades":
        return _("teaches your grades: %(grades)s", grades=", ".join(str(g) for g in reason.detail))
    if c == "category":
        return _("%(steps)s qualification category step(s) above yours", steps=reason.detail[0])
    if c == "load":
        return _(
            "already mentors %(load)s of %(capacity)s",
            load=reason.detail[0],
            capacity=reason.detail[1],
        )
    return c


def meetings_and_observations_writable(pair: Pair) -> bool:
    return pair.state in WORKING_STATES


def add_meeting(pair: Pair, author: User, **fields) -> Meeting:
    m = Meeting(pair_id=pair.id, author_id=author.id, status="held", **fields)
    db.session.add(m)
    return m


def add_observation(pair: Pair, author: User, **fields) -> Observation:
    """The author observes the other side's lesson: a mentor observes the novice and back."""
    observed = Observed.NOVICE if side_of(author, pair) == "mentor" else Observed.MENTOR
    o = Observation(pair_id=pair.id, author_id=author.id, observed=observed, **fields)
    db.session.add(o)
    db.session.flush()
    observed_user = pair.novice.user if observed == Observed.NOVICE else pair.mentor.user
    notifications.notify(
        observed_user,
        "mentoring.observation",
        _l("Your lesson was observed: add your reflection"),
        fields.get("lesson_topic", ""),
        url=url_for("mentoring.pair", pair_id=pair.id, _anchor=f"obs-{o.id}"),
        association=pair.programme.association,
    )
    return o


def observed_user_id(pair: Pair, obs: Observation) -> int:
    return pair.novice.user_id if obs.observed == Observed.NOVICE else pair.mentor.user_id
