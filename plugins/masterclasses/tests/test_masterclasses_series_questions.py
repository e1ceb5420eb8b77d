"""A series' occurrences get their own copies of the registration questions: when the series
makes occurrences from a saved event, and when a new rule adds dates. Editing one
occurrence's questions later leaves the others alone."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from core.extensions import db
from plugins.masterclasses import services
from plugins.masterclasses.models import Event, Question, Series
from plugins.masterclasses.tests.helpers import make_event, series_form

NOW = dt.datetime(2027, 1, 10, 6, 0)  # 11:00 in Almaty, a Sunday

SERIES = series_form(repeat_until="2027-02-08")

CHOICE = {
    "label": "Қай сыныпта сабақ бересіз?",
    "kind": "choice",
    "options": "5–6\n7–9\n10–11",
    "required": "y",
}
TEXT = {"label": "Қандай сұрағыңыз бар?", "kind": "text", "options": ""}


def _events():
    db.session.expire_all()
    return list(db.session.scalars(select(Event).order_by(Event.starts_at)))


def _questions(event_id):
    rows = db.session.scalars(
        select(Question).where(Question.event_id == event_id).order_by(Question.position)
    ).all()
    return [(q.position, q.label, q.kind, q.option_list, q.required) for q in rows]


def test_dates_a_new_rule_adds_copy_the_questions_and_stay_separate(client, factory, login, post):
    assoc = factory.association(slug="shyn")
    leader = factory.member(assoc, factory.user(locale="kk"), role="leader")
    with time_machine.travel(NOW, tick=False):
        login(client, leader)
        assert post(client, "/masterclasses/a/shyn/new", SERIES).status_code == 302
        events = _events()
        post(client, f"/masterclasses/{events[0].id}/status/publish", {"scope": "following"})
        ids = [e.id for e in events]
        # The questions are set on the first date, the one the new rule starts from.
        for data in (CHOICE, TEXT):
            assert post(client, f"/masterclasses/{ids[0]}/questions", data).status_code == 302
        page = client.get(f"/masterclasses/{ids[0]}/questions").get_data(as_text=True)
        assert "сериядағы бір күн" in page
        # Mondays and Thursdays from 11 January: four Thursdays are new.
        resp = post(
            client,
            f"/masterclasses/{ids[0]}/series/rule",
            {
                "starts_from": "2027-01-11T15:00",
                "repeat": "WEEKLY",
                "interval": "1",
                "weekdays": ["MO", "TH"],
                "ends": "until",
                "repeat_until": "2027-02-08",
            },
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
        new = [e for e in _events() if e.id not in ids]
        assert len(new) == 4
        expected = [
            (1, CHOICE["label"], "choice", ["5–6", "7–9", "10–11"], True),
            (2, TEXT["label"], "text", [], False),
        ]
        for ev in new:
            assert _questions(ev.id) == expected
        # A teacher registering for a new date is asked them.
        form = client.get(f"/masterclasses/{new[0].id}/register").get_data(as_text=True)
        assert CHOICE["label"] in form and "10–11" in form
        # Changing one date's questions leaves the other dates' alone.
        first_new = db.session.scalars(
            select(Question).where(Question.event_id == new[0].id).order_by(Question.position)
        ).all()
        resp = post(client, f"/masterclasses/{new[0].id}/questions/{first_new[0].id}/delete", {})
        assert resp.status_code == 302
        extra = {"label": "Ноутбук әкелесіз бе?", "kind": "text", "options": ""}
        assert post(client, f"/masterclasses/{new[0].id}/questions", extra).status_code == 302
    assert [q[1] for q in _questions(new[0].id)] == [TEXT["label"], extra["label"]]
    for ev in new[1:]:
        assert _questions(ev.id) == expected
    assert _questions(ids[0]) == expected
    question_ids = db.session.scalars(select(Question.id)).all()
    assert len(question_ids) == 10  # 2 on the first date, 2 on each of the 4 new ones


def test_a_series_made_from_a_saved_event_copies_its_questions(client, factory):
    assoc = factory.association(slug="shyn")
    template = make_event(assoc, starts_at=dt.datetime(2027, 1, 11, 10, 0))
    db.session.add_all(
        [
            Question(
                event_id=template.id,
                position=1,
                label="Сынып",
                kind="choice",
                options="5\n6",
                required=True,
            ),
            Question(event_id=template.id, position=2, label="Сұрағыңыз", kind="text"),
        ]
    )
    db.session.commit()
    series = Series(
        association_id=assoc.id,
        rrule="FREQ=WEEKLY",
        first_local=dt.datetime(2027, 1, 18, 15, 0),
        until_local=dt.date(2027, 1, 25),
    )
    db.session.add(series)
    made = services.materialise(
        template, series, [dt.datetime(2027, 1, 18, 15, 0), dt.datetime(2027, 1, 25, 15, 0)]
    )
    db.session.commit()
    for ev in made:
        assert _questions(ev.id) == [
            (1, "Сынып", "choice", ["5", "6"], True),
            (2, "Сұрағыңыз", "text", [], False),
        ]
    assert len(db.session.scalars(select(Question.id)).all()) == 6


def test_a_single_event_has_no_series_note(client, factory, login):
    assoc = factory.association(slug="shyn")
    leader = factory.member(assoc, factory.user(locale="kk"), role="leader")
    ev = make_event(assoc, hosts=[leader])
    login(client, leader)
    page = client.get(f"/masterclasses/{ev.id}/questions").get_data(as_text=True)
    assert "сериядағы бір күн" not in page


def test_the_questions_survive_when_the_new_rule_drops_the_template_date(
    client, factory, login, post
):
    assoc = factory.association(slug="shyn")
    leader = factory.member(assoc, factory.user(locale="kk"), role="leader")
    with time_machine.travel(NOW, tick=False):
        login(client, leader)
        assert post(client, "/masterclasses/a/shyn/new", SERIES).status_code == 302
        ids = [e.id for e in _events()]  # drafts without people: dropped dates are removed
        for data in (CHOICE, TEXT):
            assert post(client, f"/masterclasses/{ids[0]}/questions", data).status_code == 302
        # Tuesdays instead of Mondays: every Monday, the template's date too, goes away.
        resp = post(
            client,
            f"/masterclasses/{ids[0]}/series/rule",
            {
                "starts_from": "2027-01-12T15:00",
                "repeat": "WEEKLY",
                "interval": "1",
                "weekdays": ["TU"],
                "ends": "until",
                "repeat_until": "2027-02-09",
            },
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    events = _events()
    assert not {e.id for e in events} & set(ids)
    assert len(events) == 5
    for ev in events:
        assert [q[1] for q in _questions(ev.id)] == [CHOICE["label"], TEXT["label"]]
