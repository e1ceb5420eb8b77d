"""The mentoring CSV reports never hand a spreadsheet a formula typed by a user: every text a
mentor, young specialist or coordinator typed comes out as text (OWASP CSV injection)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.extensions import db
from core.testing import CSV_FORMULA_PAYLOADS, assert_formulas_neutralised, read_csv
from plugins.mentoring.models import Goal, Meeting, Observation
from plugins.mentoring.tests.world import (
    add_mentor,
    add_novice,
    add_pair,
    client_for,
    get_in,
    make_world,
    programme_url,
)


def _world_typed_with(factory, payload: str):
    w = make_world(factory)
    w.programme.name = payload
    w.programme.period = payload
    w.association.name_kk = w.association.name_ru = payload
    _, mentor = add_mentor(factory, w, payload)
    _, novice = add_novice(factory, w, payload)
    add_novice(factory, w, payload)  # left without a mentor
    pair = add_pair(mentor, novice)
    db.session.add_all(
        [
            Goal(pair_id=pair.id, title=payload, target_date=dt.date(2026, 12, 1)),
            Meeting(
                pair_id=pair.id,
                held_on=dt.date(2026, 10, 3),
                duration_minutes=45,
                topic=payload,
                notes=payload,
                next_steps=payload,
            ),
            Observation(
                pair_id=pair.id,
                observed="novice",
                lesson_date=dt.date(2026, 10, 9),
                lesson_topic=payload,
                went_well=payload,
                to_improve=payload,
                actions=payload,
                reflection=payload,
            ),
        ]
    )
    db.session.commit()
    return w, pair


@pytest.mark.parametrize("payload", CSV_FORMULA_PAYLOADS)
def test_pair_report_csv_neutralises_typed_formulas(app, factory, login, payload):
    w, pair = _world_typed_with(factory, payload)
    coord = client_for(app, login, w.coordinator)
    rows = read_csv(get_in(coord, f"/mentoring/pairs/{pair.id}/report.csv", "kk"))
    # programme, mentor, young specialist, goal, meeting topic/notes/next steps,
    # observation topic/went well/to improve/actions/reflection
    assert_formulas_neutralised(rows, payload, expected=12)
    # A number the system writes stays a number, in the kk form Excel reads (decimal comma).
    assert [r for r in rows if r and r[0] == "Тәлімгерлік сағаттары"][0][1] == "0,75"


@pytest.mark.parametrize("payload", CSV_FORMULA_PAYLOADS)
def test_programme_report_csv_neutralises_typed_formulas(app, factory, login, payload):
    w, _pair = _world_typed_with(factory, payload)
    coord = client_for(app, login, w.coordinator)
    rows = read_csv(get_in(coord, programme_url(w, "report.csv"), "kk"))
    # programme name and period, association, the pair's mentor and young specialist,
    # the young specialist without a mentor
    assert_formulas_neutralised(rows, payload, expected=6)
