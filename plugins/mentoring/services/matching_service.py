"""Candidates and proposals from the optimal assignment, and confirming them under capacity."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.api import (
    CATEGORY_LABELS,  # noqa: F401 - re-exported for templates and forms
    User,
    db,
    locking,
    notifications,
    utcnow,
)
from plugins.mentoring import matching
from plugins.mentoring.models import (
    MentorProfile,
    MentorStatus,
    NoviceRequest,
    Pair,
    PairState,
    Programme,
    split_codes,
)
from plugins.mentoring.services.roles import (
    OPEN_STATES,
)


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
                Pair.state.in_((*OPEN_STATES, PairState.COMPLETED)),
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
            .where(
                MentorProfile.programme_id == programme.id,
                MentorProfile.status == MentorStatus.APPROVED,
            )
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
            or m.status != MentorStatus.APPROVED
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
            state=PairState.PROPOSED,
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
