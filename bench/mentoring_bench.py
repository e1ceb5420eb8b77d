"""Time the mentoring plugin's optimal assignment against a bare ``linear_sum_assignment``.

    .venv/bin/python bench/mentoring_bench.py [--novices 5000] [--mentors 5000] [--seed 1]

Profiles are random but realistic: 11 subjects with mathematics, Kazakh and Russian language
teachers the most common; Kazakh- and Russian-medium schools (some teachers in both);
200 schools in 40 districts; 1-3 needs out of 8 areas for a novice, 2-4 strengths for a
mentor; mentors from moderator to master with capacity 1-3 and a few already busy.

Printed: the plugin's whole assignment (scoring matrix + slot expansion + solving with the
"no mentor" columns + reading the result), the scoring alone, a bare
``linear_sum_assignment`` on the same novices x slots score matrix with their ratio, and the
bare solver on that matrix widened by the "no mentor" columns (the plugin's extra work).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plugins.mentoring import matching  # noqa: E402

SUBJECTS = list(range(1, 12))
SUBJECT_WEIGHTS = [6, 4, 4, 3, 2, 2, 2, 1, 1, 1, 3]
AREAS = [
    "assessment",
    "critical_thinking",
    "ict",
    "classroom_management",
    "inclusive",
    "subject_methods",
    "lesson_planning",
    "parents",
]


def _school(rng: random.Random) -> tuple[int, int]:
    school = rng.randrange(200)
    return school, school // 5  # five schools a district


def make_people(n_novices: int, n_mentors: int, seed: int):
    rng = random.Random(seed)
    mentors = []
    for i in range(n_mentors):
        school, district = _school(rng)
        subjects = set(rng.choices(SUBJECTS, SUBJECT_WEIGHTS, k=rng.choice([1, 1, 2])))
        capacity = rng.randint(1, 3)
        low = rng.randint(1, 8)
        mentors.append(
            matching.MentorCandidate(
                id=i + 1,
                user_id=i + 1,
                category_rank=rng.choice([2, 2, 3, 3, 4, 5]),
                capacity=capacity,
                load=rng.choice([0, 0, 0, 1]) if capacity > 1 else 0,
                subject_ids=frozenset(subjects),
                languages=frozenset(rng.choice([["kk"], ["ru"], ["kk", "ru"], ["kk"]])),
                grades=frozenset(range(low, min(low + 4, 11) + 1)),
                strengths=frozenset(rng.sample(AREAS, rng.randint(2, 4))),
                school_id=school,
                district_id=district,
            )
        )
    novices = []
    for i in range(n_novices):
        school, district = _school(rng)
        grade = rng.randint(1, 11)
        novices.append(
            matching.NoviceCandidate(
                id=i + 1,
                user_id=n_mentors + i + 1,
                category_rank=rng.choice([0, 0, 1]),
                subject_id=rng.choices(SUBJECTS, SUBJECT_WEIGHTS)[0],
                language=rng.choice(["kk", "kk", "ru"]),
                grades=frozenset({grade, min(grade + 1, 11)}),
                needs=frozenset(rng.sample(AREAS, rng.randint(1, 3))),
                school_id=school,
                district_id=district,
            )
        )
    return novices, mentors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--novices", type=int, default=5000)
    parser.add_argument("--mentors", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-rank", type=int, default=2, help="2 = teacher-moderator")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs of each timing")
    args = parser.parse_args()

    novices, mentors = make_people(args.novices, args.mentors, args.seed)
    slots = sum(min(m.free, len(novices)) for m in mentors)
    print(f"{len(novices)} novices, {len(mentors)} mentors, {slots} mentor slots")

    def best_of(func):
        """The fastest of ``--repeat`` runs (the machine is shared) and the last result."""
        times, out = [], None
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            out = func()
            times.append(time.perf_counter() - t0)
        return min(times), out

    plugin_s, result = best_of(lambda: matching.optimal_assignment(novices, mentors, args.min_rank))
    scoring_s, (matrix, _owner) = best_of(
        lambda: matching.score_matrix(novices, mentors, args.min_rank)
    )
    bare_s, (rows, cols) = best_of(lambda: linear_sum_assignment(matrix, maximize=True))
    bare_total = float(
        np.sum(np.where(matrix[rows, cols] > matching.INFEASIBLE / 2, matrix[rows, cols], 0))
    )

    pairs, total = len(result), matching.total(result)
    print(f"plugin assignment:           {plugin_s:8.3f} s  ({pairs} pairs, total {total:.1f})")
    print(f"  of which scoring + slots:  {scoring_s:8.3f} s")
    print(f"bare linear_sum_assignment:  {bare_s:8.3f} s  (same matrix, total {bare_total:.1f})")
    print(f"ratio plugin / bare:         {plugin_s / bare_s:8.2f}")

    # Where the difference goes: the plugin adds one "no mentor" column per novice so that a
    # novice is left without a mentor rather than forced onto a forbidden pair.
    full = np.hstack([matrix, np.zeros((len(novices), len(novices)))])
    full_s, _ = best_of(lambda: linear_sum_assignment(full, maximize=True))
    print(
        f"bare, with the no-mentor columns: {full_s:8.3f} s  (ratio to bare {full_s / bare_s:.2f})"
    )


if __name__ == "__main__":
    main()
