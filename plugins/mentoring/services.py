"""Mentoring rules: who coordinates and who may see what, building matching candidates from
the database, confirming proposals under capacity (with a row lock), the pair state machine,
certificates and report figures. Views stay thin; tests drive all of this over HTTP."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    Association,
    Membership,
    User,
    certificates,
    db,
    locking,
    notifications,
    permissions,
    site_date,
    utcnow,
)
from plugins.mentoring import matching
from plugins.mentoring.models import (
    Goal,
    Meeting,
    MentorProfile,
    NoviceRequest,
    Observation,
    Pair,
    Programme,
    ProgrammeCoordinator,
    split_codes,
)

#: Areas of professional practice: a mentor's strengths and a novice's needs use the same list.
AREAS: dict[str, Any] = {
    "assessment": _l("Assessment (incl. early assessment of pupils' levels)"),
    "critical_thinking": _l("Developing critical thinking"),
    "ict": _l("ICT competence"),
    "classroom_management": _l("Classroom management"),
    "inclusive": _l("Inclusive education"),
    "subject_methods": _l("Subject teaching methods"),
    "lesson_planning": _l("Lesson planning"),
    "parents": _l("Work with parents"),
}

#: Languages of instruction.
LANGUAGES: dict[str, Any] = {"kk": _l("Kazakh"), "ru": _l("Russian"), "en": _l("English")}


GOAL_STATUSES: dict[str, Any] = {
    "planned": _l("planned"),
    "in_progress": _l("in progress"),
    "done": _l("achieved"),
    "dropped": _l("dropped"),
}
GOAL_CLOSED = ("done", "dropped")

STATE_LABELS: dict[str, Any] = {
    "proposed": _l("proposed"),
    "active": _l("active"),
    "paused": _l("paused"),
    "completed": _l("completed"),
    "ended": _l("ended early"),
    "declined": _l("declined"),
}
#: States in which a pair holds one of the mentor's places and the novice is taken.
OPEN_STATES = ("proposed", "active", "paused")
#: States in which the pair's plan, meetings and observations can still be written.
WORKING_STATES = ("active", "paused")


@dataclass(frozen=True)
class Transition:
    """``action`` moves a pair from one of ``sources`` to ``target`` when ``who`` allows.

    ``who``: ``"self"`` (mentor or novice, each acting only for their own side),
    ``"party"`` (mentor or novice), ``"party_or_coordinator"``, ``"mentor_or_coordinator"``.
    ``accept`` has no fixed target: the pair becomes active once both sides have accepted.
    """

    sources: tuple[str, ...]
    target: str | None
    who: str
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    "accept": Transition(("proposed",), None, "self"),
    "decline": Transition(("proposed",), "declined", "party"),
    "pause": Transition(("active",), "paused", "party_or_coordinator"),
    "resume": Transition(("paused",), "active", "party_or_coordinator"),
    "complete": Transition(("active", "paused"), "completed", "mentor_or_coordinator"),
    "end": Transition(("proposed", "active", "paused"), "ended", "party_or_coordinator", True),
}

ACTION_LABELS: dict[str, Any] = {
    "accept": _l("Accept"),
    "decline": _l("Decline"),
    "pause": _l("Pause"),
    "resume": _l("Resume"),
    "complete": _l("Complete"),
    "end": _l("End early"),
}


class TransitionError(Exception):
    """The action is not allowed now (wrong state) or not for this user."""


# --- roles -----------------------------------------------------------------------------------


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_coordinator(user: Any, programme: Programme) -> bool:
    """The association's leaders and coordinators (and administrators over it), plus the
    programme's named coordinators."""
    if not _authenticated(user):
        return False
    if permissions.manages(user, programme.association):
        return True
    return any(c.user_id == user.id for c in programme.coordinators)


def may_view_programme(user: Any, programme: Programme) -> bool:
    return _authenticated(user) and (
        permissions.is_member(user, programme.association) or is_coordinator(user, programme)
    )


def side_of(user: Any, pair: Pair) -> str | None:
    """``"mentor"``, ``"novice"`` or None for someone outside the pair."""
    if not _authenticated(user):
        return None
    if pair.mentor.user_id == user.id:
        return "mentor"
    if pair.novice.user_id == user.id:
        return "novice"
    return None


def may_view_pair(user: Any, pair: Pair) -> bool:
    """The pair's plan, meetings and observations: the two people and the coordinators only."""
    return side_of(user, pair) is not None or is_coordinator(user, pair.programme)


def meets_rules(user: User, programme: Programme) -> bool:
    """Whether a member can enrol as a mentor without a coordinator's approval."""
    return user.category_enum.rank >= programme.min_category_enum.rank


# --- candidates ------------------------------------------------------------------------------


def open_loads(programme_id: int, mentor_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Mentor profile id -> pairs holding one of their places (proposed, active, paused)."""
    stmt = (
        select(Pair.mentor_id, func.count(Pair.id))
        .where(Pair.programme_id == programme_id, Pair.state.in_(OPEN_STATES))
        .group_by(Pair.mentor_id)
    )
    if mentor_ids is not None:
        stmt = stmt.where(Pair.mentor_id.in_(list(mentor_ids)))
    return dict(db.session.execute(stmt).all())


def taken_novice_ids(programme_id: int) -> set[int]:
    """Novices who have a mentor: an open pair, or a completed one (their programme is done)."""
    return set(
        db.session.scalars(
            select(Pair.novice_id).where(
                Pair.programme_id == programme_id,
                Pair.state.in_((*OPEN_STATES, "completed")),
            )
        )
    )


def mentor_candidate(p: MentorProfile, load: int) -> matching.MentorCandidate:
    return matching.MentorCandidate(
        id=p.id,
        user_id=p.user_id,
        category_rank=p.category_enum.rank,
        capacity=p.capacity,
        load=load,
        subject_ids=frozenset(p.subject_ids),
        languages=frozenset(split_codes(p.languages)),
        grades=frozenset(p.grade_list),
        strengths=frozenset(split_codes(p.strengths)),
        school_id=p.school_id,
        district_id=p.district_id,
    )


def novice_candidate(n: NoviceRequest) -> matching.NoviceCandidate:
    return matching.NoviceCandidate(
        id=n.id,
        user_id=n.user_id,
        category_rank=n.category_enum.rank,
        subject_id=n.subject_id,
        language=n.language,
        grades=frozenset(n.grade_list),
        needs=frozenset(split_codes(n.needs)),
        school_id=n.school_id,
        district_id=n.district_id,
    )


def approved_mentors(programme: Programme) -> list[MentorProfile]:
    return list(
        db.session.scalars(
            select(MentorProfile)
            .where(MentorProfile.programme_id == programme.id, MentorProfile.status == "approved")
            .options(selectinload(MentorProfile.user))
            .order_by(MentorProfile.id)
        )
    )


def novices(programme: Programme) -> list[NoviceRequest]:
    return list(
        db.session.scalars(
            select(NoviceRequest)
            .where(NoviceRequest.programme_id == programme.id)
            .options(selectinload(NoviceRequest.user), selectinload(NoviceRequest.subject))
            .order_by(NoviceRequest.id)
        )
    )


def unmatched_novices(programme: Programme) -> list[NoviceRequest]:
    taken = taken_novice_ids(programme.id)
    return [n for n in novices(programme) if n.id not in taken]


def ranked_mentors(programme: Programme, novice: NoviceRequest) -> list[matching.Scored]:
    profiles = approved_mentors(programme)
    loads = open_loads(programme.id)
    cands = [mentor_candidate(p, loads.get(p.id, 0)) for p in profiles]
    return matching.rank_mentors(novice_candidate(novice), cands, programme.min_category_enum.rank)


@dataclass
class Proposal:
    novice: NoviceRequest
    mentor: MentorProfile | None
    score: float
    options: list[tuple[MentorProfile, float]]  # feasible mentors for the editing form


#: How many alternative mentors the proposal form offers for each novice.
PROPOSAL_OPTIONS = 15


def propose(programme: Programme) -> list[Proposal]:
    """The optimal assignment of every unmatched novice, with each novice's best feasible
    mentors (and always the proposed one) so the coordinator can remove or replace a pair
    before confirming. The score matrix is computed once for both."""
    waiting = unmatched_novices(programme)
    profiles = approved_mentors(programme)
    if not waiting:
        return []
    loads = open_loads(programme.id)
    m_cands = [mentor_candidate(p, loads.get(p.id, 0)) for p in profiles]
    n_cands = [novice_candidate(n) for n in waiting]
    min_rank = programme.min_category_enum.rank
    scores = matching.pair_scores(n_cands, m_cands, min_rank) if m_cands else None
    best: dict[int, tuple[int, float]] = {}
    if scores is not None:
        owners = matching.slot_owners(m_cands, len(n_cands))
        for n, m, s in matching.solve(scores[:, owners], owners, n_cands, m_cands):
            best[n.id] = (m.id, s)
    by_id = {p.id: p for p in profiles}
    column = {p.id: j for j, p in enumerate(profiles)}
    out = []
    for i, req in enumerate(waiting):
        mentor_id, score = best.get(req.id, (None, 0.0))
        options: list[tuple[MentorProfile, float]] = []
        if scores is not None:
            row = scores[i]
            order = np.argsort(-row, kind="stable")
            top = [j for j in order[:PROPOSAL_OPTIONS] if row[j] > matching.INFEASIBLE / 2]
            if mentor_id is not None and column[mentor_id] not in top:
                top.append(column[mentor_id])
            options = [(profiles[j], float(row[j])) for j in top]
        out.append(Proposal(req, by_id.get(mentor_id) if mentor_id else None, score, options))
    return out


# --- confirming proposals under capacity ------------------------------------------------------


def _begin_write_transaction() -> None:
    """End what the session had open, then start a transaction holding the write lock, so the
    capacity check and the inserts after it cannot interleave with another writer (see
    :mod:`core.services.locking`; on PostgreSQL the caller locks the rows FOR UPDATE)."""
    db.session.commit()
    locking.begin_write()


@dataclass
class ConfirmResult:
    created: list[Pair]
    rejected: list[tuple[int, int, str]]  # (novice id, mentor id, reason code)


def confirm(programme: Programme, choices: list[tuple[int, int]], actor: User) -> ConfirmResult:
    """Turn (novice id, mentor id) choices into proposed pairs, in one transaction.

    Every choice is re-checked inside the transaction against fresh data: the mentor is an
    approved mentor of this programme, the novice is still without a mentor, the hard rules
    hold, and the mentor's open pairs (counted now, plus those made earlier in this call) stay
    within capacity. Mentor and novice rows are locked first (FOR UPDATE on PostgreSQL, the
    write lock on SQLite), so two coordinators confirming overlapping proposals at once are
    serialised and the second sees the first one's pairs.
    """
    programme_id = programme.id
    _begin_write_transaction()
    mentor_ids = sorted({m for _, m in choices})
    novice_ids = sorted({n for n, _ in choices})
    mentors = {
        m.id: m
        for m in db.session.scalars(
            select(MentorProfile)
            .where(MentorProfile.id.in_(mentor_ids))
            .order_by(MentorProfile.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    reqs = {
        n.id: n
        for n in db.session.scalars(
            select(NoviceRequest)
            .where(NoviceRequest.id.in_(novice_ids))
            .order_by(NoviceRequest.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    programme = db.session.get(Programme, programme_id)
    loads = Counter(open_loads(programme_id, mentor_ids))
    taken = taken_novice_ids(programme_id)
    min_rank = programme.min_category_enum.rank
    created: list[Pair] = []
    rejected: list[tuple[int, int, str]] = []
    now = utcnow()
    for novice_id, mentor_id in choices:
        m, n = mentors.get(mentor_id), reqs.get(novice_id)
        if (
            m is None
            or n is None
            or m.programme_id != programme_id
            or n.programme_id != programme_id
            or m.status != "approved"
        ):
            rejected.append((novice_id, mentor_id, "unknown"))
            continue
        if n.id in taken:
            rejected.append((novice_id, mentor_id, "taken"))
            continue
        mc = mentor_candidate(m, loads[m.id])
        nc = novice_candidate(n)
        if not matching.feasible(mc, nc, min_rank):
            rejected.append((novice_id, mentor_id, "capacity" if mc.free <= 0 else "rules"))
            continue
        pair = Pair(
            programme_id=programme_id,
            mentor_id=m.id,
            novice_id=n.id,
            state="proposed",
            score=matching.score(mc, nc),
            proposed_by_id=actor.id,
            created_at=now,
        )
        db.session.add(pair)
        created.append(pair)
        loads[m.id] += 1
        taken.add(n.id)
    db.session.flush()
    for pair in created:
        notifications.notify(
            [pair.mentor.user, pair.novice.user],
            "mentoring.proposal",
            _l("A mentoring pair is proposed for you"),
            _l("Open the pair to accept or decline."),
            url=url_for("mentoring.pair", pair_id=pair.id),
            association=programme.association,
        )
    db.session.commit()
    return ConfirmResult(created, rejected)


REJECT_REASONS: dict[str, Any] = {
    "unknown": _l("not an approved mentor or novice of this programme"),
    "taken": _l("the novice already has a mentor"),
    "capacity": _l("the mentor has no free place"),
    "rules": _l("the programme's rules do not allow this pair"),
}


# --- the pair state machine -------------------------------------------------------------------


def waiting_for_answer(user: User) -> list[Pair]:
    """Proposed pairs in which ``user`` has not yet accepted or declined their side."""
    pairs = db.session.scalars(
        select(Pair)
        .join(MentorProfile, MentorProfile.id == Pair.mentor_id)
        .join(NoviceRequest, NoviceRequest.id == Pair.novice_id)
        .where(
            Pair.state == "proposed",
            ((MentorProfile.user_id == user.id) & Pair.mentor_accepted_at.is_(None))
            | ((NoviceRequest.user_id == user.id) & Pair.novice_accepted_at.is_(None)),
        )
        .options(
            selectinload(Pair.mentor).selectinload(MentorProfile.user),
            selectinload(Pair.novice).selectinload(NoviceRequest.user),
            selectinload(Pair.programme),
        )
        .order_by(Pair.created_at)
    )
    return list(pairs)


def allowed_actions(user: Any, pair: Pair) -> list[str]:
    return [a for a in TRANSITIONS if may_do(user, pair, a)]


def may_do(user: Any, pair: Pair, action: str) -> bool:
    t = TRANSITIONS[action]
    if pair.state not in t.sources:
        return False
    side = side_of(user, pair)
    if t.who == "self":
        if side == "mentor":
            return pair.mentor_accepted_at is None
        if side == "novice":
            return pair.novice_accepted_at is None
        return False
    if t.who == "party":
        return side is not None
    if t.who == "mentor_or_coordinator":
        return side == "mentor" or is_coordinator(user, pair.programme)
    return side is not None or is_coordinator(user, pair.programme)


def transition(pair: Pair, action: str, user: User, reason: str = "") -> None:
    """Apply ``action`` for ``user``, notify the others, and commit.

    Raises :class:`TransitionError` when the pair is not in a source state of the action or the
    user may not do it (a novice cannot accept for the mentor, a coordinator for either).
    Completing a pair issues the mentor's certificate (idempotent by source key).

    The pair's row is locked and re-read first, so that the mentor and the novice accepting
    at the same moment cannot both miss the other's acceptance and leave the pair proposed.
    """
    if action not in TRANSITIONS:
        raise TransitionError(action)
    pair_id = pair.id
    _begin_write_transaction()
    pair = db.session.scalar(
        select(Pair)
        .where(Pair.id == pair_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if pair is None or not may_do(user, pair, action):
        db.session.rollback()
        raise TransitionError(action)
    t = TRANSITIONS[action]
    if t.needs_reason and not reason.strip():
        db.session.rollback()
        raise TransitionError(action)
    now = utcnow()
    if action == "accept":
        if side_of(user, pair) == "mentor":
            pair.mentor_accepted_at = now
        else:
            pair.novice_accepted_at = now
        if pair.mentor_accepted_at and pair.novice_accepted_at:
            pair.state = "active"
            pair.started_at = now
    else:
        pair.state = t.target
        if t.target in ("completed", "ended", "declined"):
            pair.finished_at = now
        if reason:
            pair.end_reason = reason.strip()[:2000]
    if pair.state == "completed":
        mentor_certificate(pair)
    coordinators = programme_coordinators(pair.programme)
    others = {u.id: u for u in [pair.mentor.user, pair.novice.user, *coordinators]}
    others.pop(user.id, None)
    notifications.notify(
        list(others.values()),
        "mentoring.pair_update",
        _pair_update_title(action, pair),
        reason,
        url=url_for("mentoring.pair", pair_id=pair.id),
        association=pair.programme.association,
    )
    db.session.commit()


def _pair_update_title(action: str, pair: Pair):
    mentor, novice = pair.mentor.user.full_name, pair.novice.user.full_name
    if action == "accept" and pair.state == "active":
        return lambda: _(
            "Mentoring pair %(mentor)s – %(novice)s is active", mentor=mentor, novice=novice
        )
    titles = {
        "accept": lambda: _(
            "Proposal accepted: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
        "decline": lambda: _(
            "Proposal declined: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
        "pause": lambda: _(
            "Mentoring paused: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
        "resume": lambda: _(
            "Mentoring resumed: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
        "complete": lambda: _(
            "Mentoring completed: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
        "end": lambda: _(
            "Mentoring ended early: %(mentor)s – %(novice)s", mentor=mentor, novice=novice
        ),
    }
    return titles[action]


def programme_coordinators(programme: Programme) -> list[User]:
    """Everyone who coordinates: named coordinators and the association's leaders and
    coordinators (administrators are not notified)."""
    rows = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.association_id == programme.association_id,
            Membership.role.in_([r.value for r in permissions.MANAGER_ROLES]),
        )
    ).all()
    people = {u.id: u for u in rows}
    for c in programme.coordinators:
        people[c.user_id] = c.user
    return list(people.values())


# --- hours, certificates, portfolio -----------------------------------------------------------


def meeting_hours(pair: Pair) -> float:
    return round(sum(m.duration_minutes for m in pair.meetings) / 60.0, 2)


def find_mentor_certificate(pair: Pair):
    """The certificate issued when the pair was completed, if any (never creates one)."""
    from core.api import Certificate

    return db.session.scalar(
        select(Certificate).where(Certificate.source_key == f"mentoring:pair:{pair.id}:mentor")
    )


def mentor_certificate(pair: Pair):
    """The mentor's certificate for a completed pair (created once, then found again)."""
    programme = pair.programme
    association: Association = programme.association
    return certificates.issue(
        source_key=f"mentoring:pair:{pair.id}:mentor",
        recipient=pair.mentor.user,
        title=_(
            "Mentoring of a young specialist, %(novice)s, in the programme «%(programme)s»",
            novice=pair.novice.user.full_name,
            programme=programme.name,
        ),
        kind="mentoring.mentor",
        hours=meeting_hours(pair),
        issuer=association.name,
        issued_on=site_date(pair.finished_at),
        association_id=association.id,
    )


# --- report figures ---------------------------------------------------------------------------


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
    taken = {p.novice_id for p in pairs if p.state in (*OPEN_STATES, "completed")}
    by_state = Counter(p.state for p in pairs)
    months: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    overdue: list[tuple[Goal, Pair]] = []
    rows = []
    for p in pairs:
        for m in p.meetings:
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
                len(p.meetings),
                meeting_hours(p),
                len(p.observations),
                len(late),
                len(p.goals),
                months_worked(p, today) * programme.meetings_per_month,
            )
        )
    pending = list(
        db.session.scalars(
            select(MentorProfile)
            .where(MentorProfile.programme_id == programme.id, MentorProfile.status == "pending")
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
    m = Meeting(pair_id=pair.id, author_id=author.id, **fields)
    db.session.add(m)
    return m


def add_observation(pair: Pair, author: User, **fields) -> Observation:
    """The author observes the other side's lesson: a mentor observes the novice and back."""
    observed = "novice" if side_of(author, pair) == "mentor" else "mentor"
    o = Observation(pair_id=pair.id, author_id=author.id, observed=observed, **fields)
    db.session.add(o)
    db.session.flush()
    observed_user = pair.novice.user if observed == "novice" else pair.mentor.user
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
    return pair.novice.user_id if obs.observed == "novice" else pair.mentor.user_id
