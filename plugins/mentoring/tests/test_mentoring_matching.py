"""The pure matching module: hard rules, scores, optimality against greedy and brute force."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.mentoring import matching
from plugins.mentoring.matching import MentorCandidate, NoviceCandidate

AREAS = ["assessment", "critical_thinking", "ict", "inclusive"]
small_set = lambda items, n: st.frozensets(st.sampled_from(items), max_size=n)  # noqa: E731


@st.composite
def mentors(draw, max_size=6):
    out = []
    for i in range(draw(st.integers(0, max_size))):
        capacity = draw(st.integers(0, 3))
        out.append(
            MentorCandidate(
                id=i + 1,
                user_id=draw(st.integers(1, 8)),
                category_rank=draw(st.integers(0, 5)),
                capacity=capacity,
                load=draw(st.integers(0, capacity)),
                subject_ids=draw(small_set([1, 2, 3], 2)),
                languages=draw(small_set(["kk", "ru"], 2)),
                grades=draw(small_set(list(range(1, 12)), 3)),
                strengths=draw(small_set(AREAS, 3)),
                school_id=draw(st.sampled_from([None, 1, 2])),
                district_id=draw(st.sampled_from([None, 1, 2])),
            )
        )
    return out


@st.composite
def novices(draw, max_size=6):
    n = draw(st.integers(0, max_size))
    return [
        NoviceCandidate(
            id=i + 1,
            user_id=draw(st.integers(1, 8)),
            category_rank=draw(st.integers(0, 2)),
            subject_id=draw(st.sampled_from([None, 1, 2, 3])),
            language=draw(st.sampled_from([None, "kk", "ru"])),
            grades=draw(small_set(list(range(1, 12)), 2)),
            needs=draw(small_set(AREAS, 3)),
            school_id=draw(st.sampled_from([None, 1, 2])),
            district_id=draw(st.sampled_from([None, 1, 2])),
        )
        for i in range(n)
    ]


def check_rules(assignment, ns, ms, min_rank):
    seen = set()
    used: dict[int, int] = {}
    for n, m, s in assignment:
        assert n.id not in seen, "a novice got two mentors"
        seen.add(n.id)
        used[m.id] = used.get(m.id, 0) + 1
        assert m.user_id != n.user_id, "a mentor mentors themself"
        assert m.category_rank >= min_rank, "below the programme's minimum category"
        assert math.isclose(s, matching.score(m, n))
    for m in ms:
        assert used.get(m.id, 0) <= m.free, "over capacity"


@settings(max_examples=150, deadline=None)
@given(ns=novices(), ms=mentors(), min_rank=st.integers(0, 5))
def test_hard_rules_never_violated(ns, ms, min_rank):
    check_rules(matching.optimal_assignment(ns, ms, min_rank), ns, ms, min_rank)
    check_rules(matching.greedy_assignment(ns, ms, min_rank), ns, ms, min_rank)
    for n in ns:
        for scored in matching.rank_mentors(n, ms, min_rank):
            assert matching.feasible(scored.mentor, n, min_rank)


@settings(max_examples=150, deadline=None)
@given(ns=novices(), ms=mentors(), min_rank=st.integers(0, 3))
def test_optimal_is_at_least_greedy(ns, ms, min_rank):
    best = matching.total(matching.optimal_assignment(ns, ms, min_rank))
    greedy = matching.total(matching.greedy_assignment(ns, ms, min_rank))
    assert best >= greedy - 1e-6


def brute_force(ns, ms, min_rank) -> float:
    """Try every way to give each novice one mentor or none, within capacity."""
    best = 0.0
    for choice in itertools.product([None, *range(len(ms))], repeat=len(ns)):
        used = [0] * len(ms)
        total = 0.0
        ok = True
        for n, j in zip(ns, choice, strict=True):
            if j is None:
                continue
            m = ms[j]
            used[j] += 1
            if used[j] > m.free or not matching.feasible(m, n, min_rank):
                ok = False
                break
            total += matching.score(m, n)
        if ok:
            best = max(best, total)
    return round(best, 6)


@settings(max_examples=120, deadline=None)
@given(ns=novices(max_size=4), ms=mentors(max_size=3), min_rank=st.integers(0, 3))
def test_optimal_equals_brute_force_on_small_inputs(ns, ms, min_rank):
    got = matching.total(matching.optimal_assignment(ns, ms, min_rank))
    assert math.isclose(got, brute_force(ns, ms, min_rank), abs_tol=1e-6)


def test_optimum_beats_best_pair_first():
    """Greedy takes the single best pair and strands a novice; the optimum matches both."""
    x = MentorCandidate(1, 101, 4, 1, subject_ids=frozenset({1}))
    y = MentorCandidate(2, 102, 4, 1)
    a = NoviceCandidate(1, 201, subject_id=1)
    b = NoviceCandidate(2, 102, subject_id=1)  # b is y's own account: y cannot mentor b
    greedy = matching.greedy_assignment([a, b], [x, y], 0)
    best = matching.optimal_assignment([a, b], [x, y], 0)
    assert [(n.id, m.id) for n, m, _ in greedy] == [(1, 1)]
    assert sorted((n.id, m.id) for n, m, _ in best) == [(1, 2), (2, 1)]
    assert matching.total(best) == 76 > matching.total(greedy) == 58  # 18 + 58 against 58


@settings(max_examples=60, deadline=None)
@given(ns=novices(), ms=mentors(), min_rank=st.integers(0, 5))
def test_vectorised_matrix_matches_explain(ns, ms, min_rank):
    if not ns or not ms:
        return
    matrix = matching.pair_scores(ns, ms, min_rank)
    for i, n in enumerate(ns):
        for j, m in enumerate(ms):
            expected = (
                matching.score(m, n) if matching.feasible(m, n, min_rank) else matching.INFEASIBLE
            )
            assert math.isclose(matrix[i, j], expected, abs_tol=1e-6)


def test_weights_order_and_reasons():
    novice = NoviceCandidate(
        1,
        10,
        category_rank=0,
        subject_id=1,
        language="kk",
        grades=frozenset({5}),
        needs=frozenset({"assessment", "ict"}),
        school_id=7,
        district_id=3,
    )
    same_subject = MentorCandidate(1, 11, 3, 2, subject_ids=frozenset({1}))
    lang_school_district = MentorCandidate(
        2, 12, 3, 2, languages=frozenset({"kk"}), school_id=7, district_id=3
    )
    # the same subject is the strongest single term: it beats language and school together
    lang_school = MentorCandidate(3, 13, 3, 2, languages=frozenset({"kk"}), school_id=7)
    assert matching.score(same_subject, novice) > matching.score(lang_school, novice)
    assert matching.score(lang_school_district, novice) > matching.score(lang_school, novice)
    busy = MentorCandidate(4, 14, 3, 2, load=1, subject_ids=frozenset({1}))
    assert matching.score(busy, novice) < matching.score(same_subject, novice)
    total, reasons = matching.explain(
        MentorCandidate(
            5,
            15,
            4,
            2,
            load=1,
            subject_ids=frozenset({1}),
            languages=frozenset({"kk"}),
            grades=frozenset({5, 6}),
            strengths=frozenset({"ict", "assessment"}),
            school_id=7,
            district_id=3,
        ),
        novice,
    )
    codes = {r.code: r.points for r in reasons}
    assert codes == {
        "base": 10,
        "subject": 40,
        "language": 20,
        "school": 15,
        "district": 8,
        "needs": 12,
        "grades": 5,
        "category": 8,
        "load": -5,
    }
    assert total == sum(codes.values())
    # never oneself, never a full mentor, never below the minimum category
    assert not matching.feasible(MentorCandidate(6, 10, 5, 3), novice, 0)
    assert not matching.feasible(MentorCandidate(7, 16, 5, 1, load=1), novice, 0)
    assert not matching.feasible(MentorCandidate(8, 17, 2, 3), novice, 3)
