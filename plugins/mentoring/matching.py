"""Scoring and optimal assignment of mentors to novices. Pure Python + numpy/scipy, no Flask.

The score of a (mentor, novice) pair is a sum of documented components (:data:`WEIGHTS`):

==================  ======  ==============================================================
component           points  when
==================  ======  ==============================================================
``base``            10      every feasible pair (so any mentor beats no mentor)
``subject``         40      the mentor teaches the novice's subject (the strongest term)
``language``        20      the mentor teaches in the novice's language of instruction
``school``          15      same school (Almaty's regulation: usually the same school)
``district``        8       same district (also counted when the school is the same)
``need``            6       per novice need among the mentor's strengths, at most 4 needs
``grades``          5       the mentor teaches at least one of the novice's grades
``category``        2       per qualification rank the mentor holds above the novice, max 8
``load``            -10     times the share of the mentor's capacity already in use
==================  ======  ==============================================================

A feasible score is therefore always positive (the load term stays above -10 because a full
mentor is not feasible), which is what makes "no mentor" (0) worse than any feasible mentor.

Hard rules, never broken (:func:`feasible`): a mentor never mentors themself, never goes over
capacity, and holds at least the programme's minimum category. The load term uses the load
before an assignment run; capacity is enforced for the run itself by giving each mentor one
column ("slot") per free place.

:func:`optimal_assignment` maximises the *total score* over all assignments in which each
novice gets at most one mentor and each mentor at most their free places. It runs
``scipy.optimize.linear_sum_assignment`` on a novices x (mentor slots + one "no mentor"
column per novice) matrix: feasible cells hold the score, forbidden cells
:data:`INFEASIBLE` (a large negative number), and the "no mentor" columns 0. Because every
novice always has a "no mentor" column worth 0, a forbidden cell can never be part of an
optimum, and a novice is left without a mentor only when that raises the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

WEIGHTS: dict[str, float] = {
    "base": 10.0,
    "subject": 40.0,
    "language": 20.0,
    "school": 15.0,
    "district": 8.0,
    "need": 6.0,
    "grades": 5.0,
    "category": 2.0,
    "load": -10.0,
}
MAX_NEEDS_COUNTED = 4
MAX_CATEGORY_STEPS = 4

#: Value of a forbidden (mentor, novice) cell in the assignment matrix.
INFEASIBLE = -1.0e9


@dataclass(frozen=True)
class MentorCandidate:
    id: int
    user_id: int
    category_rank: int
    capacity: int
    load: int = 0  # mentees in proposed, active or paused pairs
    subject_ids: frozenset[int] = frozenset()
    languages: frozenset[str] = frozenset()
    grades: frozenset[int] = frozenset()
    strengths: frozenset[str] = frozenset()
    school_id: int | None = None
    district_id: int | None = None

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.load)


@dataclass(frozen=True)
class NoviceCandidate:
    id: int
    user_id: int
    category_rank: int = 0
    subject_id: int | None = None
    language: str | None = None
    grades: frozenset[int] = frozenset()
    needs: frozenset[str] = frozenset()
    school_id: int | None = None
    district_id: int | None = None


@dataclass(frozen=True)
class Reason:
    """One component of a score: ``code`` names it, ``points`` is its share, ``detail``
    carries what a caller needs to phrase it (the shared needs, the rank gap)."""

    code: str
    points: float
    detail: tuple = ()


@dataclass(frozen=True)
class Scored:
    mentor: MentorCandidate
    score: float
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


def feasible(mentor: MentorCandidate, novice: NoviceCandidate, min_rank: int) -> bool:
    """The hard rules: not oneself, a free place, at least the programme's minimum category."""
    return mentor.user_id != novice.user_id and mentor.free > 0 and mentor.category_rank >= min_rank


def explain(mentor: MentorCandidate, novice: NoviceCandidate) -> tuple[float, tuple[Reason, ...]]:
    """The score of a pair (hard rules aside) and the reasons that make it up."""
    w = WEIGHTS
    reasons = [Reason("base", w["base"])]
    if novice.subject_id is not None and novice.subject_id in mentor.subject_ids:
        reasons.append(Reason("subject", w["subject"]))
    if novice.language and novice.language in mentor.languages:
        reasons.append(Reason("language", w["language"], (novice.language,)))
    if novice.school_id is not None and novice.school_id == mentor.school_id:
        reasons.append(Reason("school", w["school"]))
    if novice.district_id is not None and novice.district_id == mentor.district_id:
        reasons.append(Reason("district", w["district"]))
    shared = sorted(novice.needs & mentor.strengths)
    if shared:
        counted = min(len(shared), MAX_NEEDS_COUNTED)
        reasons.append(Reason("needs", w["need"] * counted, tuple(shared)))
    if novice.grades & mentor.grades:
        reasons.append(Reason("grades", w["grades"], tuple(sorted(novice.grades & mentor.grades))))
    gap = min(mentor.category_rank - novice.category_rank, MAX_CATEGORY_STEPS)
    if gap > 0:
        reasons.append(Reason("category", w["category"] * gap, (gap,)))
    if mentor.load and mentor.capacity:
        share = min(mentor.load / mentor.capacity, 1.0)
        reasons.append(Reason("load", round(w["load"] * share, 2), (mentor.load, mentor.capacity)))
    return round(sum(r.points for r in reasons), 2), tuple(reasons)


def score(mentor: MentorCandidate, novice: NoviceCandidate) -> float:
    return explain(mentor, novice)[0]


def rank_mentors(
    novice: NoviceCandidate, mentors: Iterable[MentorCandidate], min_rank: int
) -> list[Scored]:
    """Feasible mentors for ``novice``, best first, each with the reasons for its score."""
    out = []
    for m in mentors:
        if feasible(m, novice, min_rank):
            s, reasons = explain(m, novice)
            out.append(Scored(m, s, reasons))
    out.sort(key=lambda x: (-x.score, x.mentor.load, x.mentor.id))
    return out


def _onehot(sets: Sequence[Iterable], vocab: dict) -> np.ndarray:
    out = np.zeros((len(sets), max(len(vocab), 1)), dtype=np.float32)
    for i, items in enumerate(sets):
        for item in items:
            out[i, vocab[item]] = 1.0
    return out


def _same(a: Sequence[int | None], b: Sequence[int | None]) -> np.ndarray:
    """Cells where both ids are known and equal."""
    x = np.array([-1 if v is None else v for v in a])
    y = np.array([-2 if v is None else v for v in b])
    return x[:, None] == y[None, :]


def pair_scores(
    novices: Sequence[NoviceCandidate], mentors: Sequence[MentorCandidate], min_rank: int
) -> np.ndarray:
    """The novices x mentors matrix of :func:`score`, with :data:`INFEASIBLE` where
    :func:`feasible` says no. Vectorised with numpy: the same numbers as :func:`explain`
    (a test checks it cell by cell), fast enough for thousands of people on each side."""
    w = WEIGHTS
    subjects = {s: k for k, s in enumerate({s for m in mentors for s in m.subject_ids})}
    languages = {x: k for k, x in enumerate({x for m in mentors for x in m.languages})}
    areas = {
        a: k
        for k, a in enumerate(
            {a for m in mentors for a in m.strengths} | {a for n in novices for a in n.needs}
        )
    }
    grades = {
        g: k
        for k, g in enumerate(
            {g for m in mentors for g in m.grades} | {g for n in novices for g in n.grades}
        )
    }

    def only_known(values, vocab):
        return [[v] if v in vocab else [] for v in values]

    total_ = np.full((len(novices), len(mentors)), w["base"])
    teaches = _onehot([m.subject_ids for m in mentors], subjects)
    wants = _onehot(only_known([n.subject_id for n in novices], subjects), subjects)
    total_ += w["subject"] * ((wants @ teaches.T) > 0)
    speaks = _onehot([m.languages for m in mentors], languages)
    lang = _onehot(only_known([n.language for n in novices], languages), languages)
    total_ += w["language"] * ((lang @ speaks.T) > 0)
    total_ += w["school"] * _same([n.school_id for n in novices], [m.school_id for m in mentors])
    total_ += w["district"] * _same(
        [n.district_id for n in novices], [m.district_id for m in mentors]
    )
    shared = (
        _onehot([n.needs for n in novices], areas)
        @ _onehot([m.strengths for m in mentors], areas).T
    )
    total_ += w["need"] * np.minimum(shared, MAX_NEEDS_COUNTED)
    common = (
        _onehot([n.grades for n in novices], grades)
        @ _onehot([m.grades for m in mentors], grades).T
    )
    total_ += w["grades"] * (common > 0)
    m_rank = np.array([m.category_rank for m in mentors])
    n_rank = np.array([n.category_rank for n in novices])
    total_ += w["category"] * np.clip(m_rank[None, :] - n_rank[:, None], 0, MAX_CATEGORY_STEPS)
    load = np.array(
        [
            round(w["load"] * min(m.load / m.capacity, 1.0), 2) if m.load and m.capacity else 0.0
            for m in mentors
        ]
    )
    total_ += load[None, :]
    total_ = np.round(total_, 2)
    ok = (
        ~_same([n.user_id for n in novices], [m.user_id for m in mentors])
        & (np.array([m.free > 0 and m.category_rank >= min_rank for m in mentors])[None, :])
    )
    return np.where(ok, total_, INFEASIBLE)


def slot_owners(mentors: Sequence[MentorCandidate], n_novices: int) -> list[int]:
    """One column per free place: mentor ``j`` gets ``min(free places, n_novices)`` slots
    (more could never be used)."""
    owners: list[int] = []
    for j, m in enumerate(mentors):
        owners.extend([j] * min(m.free, n_novices))
    return owners


def score_matrix(
    novices: Sequence[NoviceCandidate], mentors: Sequence[MentorCandidate], min_rank: int
) -> tuple[np.ndarray, list[int]]:
    """The novices x slots matrix (slot ``j`` belongs to mentor ``slot_owner[j]``, an index
    into ``mentors``) with :data:`INFEASIBLE` in forbidden cells."""
    slot_owner = slot_owners(mentors, len(novices))
    return pair_scores(novices, mentors, min_rank)[:, slot_owner], slot_owner


def optimal_assignment(
    novices: Sequence[NoviceCandidate], mentors: Sequence[MentorCandidate], min_rank: int
) -> list[tuple[NoviceCandidate, MentorCandidate, float]]:
    """A maximum-total-score assignment under the hard rules (see the module docstring).

    Returns (novice, mentor, score) for every novice that gets a mentor, in novice order.
    """
    if not novices or not mentors:
        return []
    matrix, slot_owner = score_matrix(novices, mentors, min_rank)
    return solve(matrix, slot_owner, novices, mentors)


def solve(
    matrix: np.ndarray,
    slot_owner: list[int],
    novices: Sequence[NoviceCandidate],
    mentors: Sequence[MentorCandidate],
) -> list[tuple[NoviceCandidate, MentorCandidate, float]]:
    """Run the assignment on a matrix from :func:`score_matrix` (split out for the bench)."""
    n = len(novices)
    full = np.hstack([matrix, np.zeros((n, n))])  # one "no mentor" column per novice
    rows, cols = linear_sum_assignment(full, maximize=True)
    out = []
    for i, j in zip(rows, cols, strict=True):
        if j < len(slot_owner) and full[i, j] > INFEASIBLE / 2:
            m = mentors[slot_owner[j]]
            out.append((novices[i], m, float(full[i, j])))
    return out


def greedy_assignment(
    novices: Sequence[NoviceCandidate], mentors: Sequence[MentorCandidate], min_rank: int
) -> list[tuple[NoviceCandidate, MentorCandidate, float]]:
    """Best pair first, then the next best that still fits. A baseline for tests, not used."""
    cells = [
        (score(m, n), i, j)
        for i, n in enumerate(novices)
        for j, m in enumerate(mentors)
        if feasible(m, n, min_rank)
    ]
    cells.sort(key=lambda c: (-c[0], c[1], c[2]))
    free = [m.free for m in mentors]
    taken: set[int] = set()
    out = []
    for s, i, j in cells:
        if i in taken or free[j] <= 0:
            continue
        taken.add(i)
        free[j] -= 1
        out.append((novices[i], mentors[j], s))
    return out


def total(assignment: Iterable[tuple[NoviceCandidate, MentorCandidate, float]]) -> float:
    return round(sum(s for _, _, s in assignment), 6)
