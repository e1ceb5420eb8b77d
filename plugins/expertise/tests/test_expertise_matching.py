"""The balanced assignment solver: never a forbidden pair, caps and demands respected, the
number of pairs as large as possible, and the same optimum as brute force on small cases."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.expertise.matching import affinity, balance_cost, evaluate, solve


def brute_force(demand, free, scores, load):
    """(count, value) of the best feasible set of pairs, by trying every subset."""
    allowed = sorted(scores)
    best = (0, 0)
    for r in range(len(allowed) + 1):
        for subset in combinations(allowed, r):
            per_m: dict[int, int] = {}
            per_e: dict[int, int] = {}
            for m, e in subset:
                per_m[m] = per_m.get(m, 0) + 1
                per_e[e] = per_e.get(e, 0) + 1
            if any(n > demand.get(m, 0) for m, n in per_m.items()):
                continue
            if any(n > free.get(e, 0) for e, n in per_e.items()):
                continue
            best = max(best, (r, evaluate(subset, load, scores)))
    return best


@st.composite
def cases(draw):
    n_m = draw(st.integers(1, 3))
    n_e = draw(st.integers(1, 4))
    demand = {m: draw(st.integers(0, 3)) for m in range(n_m)}
    free = {100 + e: draw(st.integers(0, 3)) for e in range(n_e)}
    load = {100 + e: draw(st.integers(0, 3)) for e in range(n_e)}
    scores = {}
    for m in range(n_m):
        for e in range(n_e):
            if draw(st.booleans()) or draw(st.booleans()):  # about a quarter forbidden
                scores[(m, 100 + e)] = draw(st.integers(0, 10))
    return demand, free, scores, load


@settings(max_examples=150, deadline=None)
@given(cases())
def test_solver_equals_brute_force_and_keeps_every_rule(case):
    demand, free, scores, load = case
    sol = solve(demand, free, scores, load)
    assert len(set(sol.pairs)) == len(sol.pairs)  # never the same pair twice
    assert all(p in scores for p in sol.pairs)  # never a forbidden (conflicted) pair
    for m, n in demand.items():
        assert sum(1 for x, _ in sol.pairs if x == m) <= n
    for e, n in free.items():
        assert sum(1 for _, x in sol.pairs if x == e) <= n  # caps respected
    assert (sol.count, sol.value) == brute_force(demand, free, scores, load)
    assert sum(sol.short.values()) == sum(demand.values()) - sol.count


def test_demand_is_met_when_the_caps_allow_it_even_against_affinity():
    # Expert 1 fits both materials best, but one place only: the second gets expert 2.
    demand = {1: 1, 2: 1}
    free = {10: 1, 20: 1}
    scores = {(1, 10): 9, (2, 10): 10, (2, 20): 0}
    sol = solve(demand, free, scores)
    assert sol.pairs == ((1, 10), (2, 20))
    assert sol.short == {}


def test_what_is_short_is_named_by_material():
    sol = solve({1: 2, 2: 1}, {10: 5}, {(1, 10): 3, (2, 10): 3})
    assert sol.pairs == ((1, 10), (2, 10))
    assert sol.short == {1: 1}


def test_balance_spreads_work_over_experts_of_equal_affinity():
    demand = {1: 1, 2: 1, 3: 1, 4: 1}
    free = {10: 4, 20: 4}
    scores = {(m, e): 2 for m in demand for e in free}
    sol = solve(demand, free, scores, load={10: 0, 20: 0})
    per = [sum(1 for _, e in sol.pairs if e == x) for x in free]
    assert per == [2, 2]
    # An expert already busy gets fewer.
    sol = solve(demand, free, scores, load={10: 2, 20: 0})
    assert [sum(1 for _, e in sol.pairs if e == x) for x in free] == [1, 3]


def test_affinity_parts_and_costs():
    assert affinity(True, True, True, "eager") == (10, ("subject", "language", "grades", "eager"))
    assert affinity(False, False, False, None) == (0, ())
    assert affinity(False, True, False, "willing") == (3, ("language", "willing"))
    assert balance_cost(2, 3) == 2 + 3 + 4
    assert solve({}, {}, {}).pairs == ()
