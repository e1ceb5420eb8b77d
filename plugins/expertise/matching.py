"""Balanced assignment of experts to materials. Pure Python + numpy/scipy, no Flask.

The model follows OpenReview's matcher: every material asks for a number of experts (its
"demand", K minus the experts already in the round), every expert offers a number of places
(the association's load cap minus their open assignments), forbidden pairs (conflicts of
interest, "not willing" bids, experts already in the round) are never proposed, and among the
rest the total affinity is maximised.

Affinity of a (material, expert) pair (:func:`affinity`, integer points, :data:`POINTS`):

==============  ======  ============================================================
part            points  when
==============  ======  ============================================================
``subject``     4       the expert teaches the material's subject
``language``    2       the expert uses the language of instruction (interface language
                        or earlier reviews in it)
``grades``      1       the expert wrote or reviewed a material for an overlapping grade
``eager``       3       the expert bid "eager"
``willing``     1       the expert bid "willing"
==============  ======  ============================================================

A "not willing" bid makes the pair forbidden rather than merely expensive: reviewing is
unpaid work of teachers, an invitation they said they would refuse costs the material the
days of the answer window and then a manual re-invitation, and the coordinator can still
invite that expert by hand. When the demand cannot be met the shortfall is reported instead.

Balance: the k-th new assignment of an expert who already holds ``load`` open ones costs
``BALANCE * (load + k - 1)`` points, so work spreads over experts of similar affinity.

:func:`solve` maximises, lexicographically, first the number of pairs (so K is met whenever
the caps and the forbidden pairs allow it), then affinity minus the balance cost. It is one
``scipy.optimize.milp`` with a binary variable per allowed pair (so an expert can never be
given the same material twice) and a binary variable per expert place, whose costs rise
with the place's number (a convex cost, so the cheapest places are always the ones used).
Lexicographic order is one objective: each pair is worth ``base`` more than the largest
possible difference in affinity and balance between any two solutions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

POINTS: dict[str, int] = {
    "subject": 4,
    "language": 2,
    "grades": 1,
    "eager": 3,
    "willing": 1,
}
BALANCE = 1


@dataclass(frozen=True)
class Solution:
    pairs: tuple[tuple[int, int], ...]  # (material id, expert id), sorted
    value: int  # affinity minus balance cost of the pairs
    short: dict[int, int] = field(default_factory=dict)  # material id -> experts missing

    @property
    def count(self) -> int:
        return len(self.pairs)


def affinity(
    subject: bool, language: bool, grades: bool, bid: str | None
) -> tuple[int, tuple[str, ...]]:
    """Points of a pair and the names of the parts that earned them (for the preview)."""
    parts = tuple(
        name
        for name, on in (
            ("subject", subject),
            ("language", language),
            ("grades", grades),
            ("eager", bid == "eager"),
            ("willing", bid == "willing"),
        )
        if on
    )
    return sum(POINTS[p] for p in parts), parts


def balance_cost(load: int, new: int, balance: int = BALANCE) -> int:
    """Cost of giving ``new`` more assignments to an expert who holds ``load`` open ones."""
    return balance * sum(load + k for k in range(new))


def evaluate(
    pairs, load: Mapping[int, int], scores: Mapping[tuple[int, int], int], balance: int = BALANCE
) -> int:
    """Affinity minus balance cost of a set of pairs (what :func:`solve` maximises second)."""
    per_expert: dict[int, int] = {}
    for _, e in pairs:
        per_expert[e] = per_expert.get(e, 0) + 1
    return sum(scores[p] for p in pairs) - sum(
        balance_cost(load.get(e, 0), n, balance) for e, n in per_expert.items()
    )


def solve(
    demand: Mapping[int, int],
    free: Mapping[int, int],
    scores: Mapping[tuple[int, int], int],
    load: Mapping[int, int] | None = None,
    balance: int = BALANCE,
) -> Solution:
    """The best set of (material, expert) pairs.

    ``demand[m]``: experts material ``m`` still needs; ``free[e]``: places expert ``e`` has
    left under the cap; ``scores[(m, e)]``: affinity of an allowed pair (a pair missing from
    ``scores`` is forbidden); ``load[e]``: the expert's open assignments (for the balance).
    Each material gets at most its demand, each expert at most their places, no pair twice.
    """
    load = dict(load or {})
    allowed = sorted((m, e) for (m, e) in scores if demand.get(m, 0) > 0 and free.get(e, 0) > 0)
    experts = sorted({e for _, e in allowed})
    # An expert takes a material at most once, so never more places than allowed materials.
    n_allowed = {e: sum(1 for _, x in allowed if x == e) for e in experts}
    places = [(e, k) for e in experts for k in range(min(free[e], n_allowed[e]))]
    if not allowed:
        return Solution((), 0, {m: n for m, n in demand.items() if n > 0})
    n_pairs, n_places = len(allowed), len(places)
    # The largest swing affinity and balance can make between two solutions.
    max_score = max(abs(scores[p]) for p in allowed)
    max_cost = sum(balance * (load.get(e, 0) + k) for e, k in places)
    base = 1 + max_score * n_pairs + max_cost
    c = np.zeros(n_pairs + n_places)
    for i, p in enumerate(allowed):
        c[i] = -(base + scores[p])
    for j, (e, k) in enumerate(places):
        c[n_pairs + j] = balance * (load.get(e, 0) + k)
    rows, lo, hi = [], [], []
    materials = sorted({m for m, _ in allowed})
    for m in materials:
        row = np.zeros(n_pairs + n_places)
        for i, p in enumerate(allowed):
            if p[0] == m:
                row[i] = 1
        rows.append(row)
        lo.append(0)
        hi.append(demand[m])
    for e in experts:  # pairs of e == places of e used
        row = np.zeros(n_pairs + n_places)
        for i, p in enumerate(allowed):
            if p[1] == e:
                row[i] = 1
        for j, (pe, _) in enumerate(places):
            if pe == e:
                row[n_pairs + j] = -1
        rows.append(row)
        lo.append(0)
        hi.append(0)
    result = milp(
        c,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        integrality=np.ones(n_pairs + n_places),
        bounds=Bounds(0, 1),
    )
    if result.x is None:  # cannot happen: choosing nothing is always feasible
        raise RuntimeError(result.message)
    chosen = tuple(p for i, p in enumerate(allowed) if result.x[i] > 0.5)
    got: dict[int, int] = {}
    for m, _ in chosen:
        got[m] = got.get(m, 0) + 1
    short = {m: n - got.get(m, 0) for m, n in demand.items() if n - got.get(m, 0) > 0}
    return Solution(chosen, evaluate(chosen, load, scores, balance), short)
