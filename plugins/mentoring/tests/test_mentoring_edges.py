"""Mentoring input at its edges: a meeting or goal date in year 1 or 9999 is a field error in
the user's language with everything typed kept; a topic typed with a line break is stored on
one line."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.extensions import db
from plugins.mentoring.models import Goal, Meeting
from plugins.mentoring.tests.world import add_mentor, add_novice, add_pair, client_for, make_world


@pytest.fixture
def app(make_app):
    app = make_app(plugins="mentoring")
    with app.app_context():
        yield app


def _pair(app, factory, login):
    w = make_world(factory)
    mentor_user, m = add_mentor(factory, w, "Ментор")
    novice_user, n = add_novice(factory, w, "Жас маман", needs="assessment")
    novice_user.locale = "ru"
    db.session.commit()
    pair = add_pair(m, n)
    return f"/mentoring/pairs/{pair.id}", client_for(app, login, novice_user)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_a_meeting_date_out_of_range_is_a_russian_field_error(app, factory, login, post, day):
    base, novice = _pair(app, factory, login)
    resp = post(
        novice,
        base + "/meetings",
        {
            "held_on": day,
            "duration_minutes": "45",
            "topic": "Формативті бағалау",
            "notes": "Дескрипторлар талқыланды",
            "next_steps": "",
        },
    )
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Укажите дату между 1900 и 2200 годами." in page
    assert f'value="{day}"' in page
    assert "Дескрипторлар талқыланды" in page
    assert db.session.scalar(select(func.count(Meeting.id))) == 0


def test_a_goal_date_in_year_9999_is_refused_and_a_topic_is_kept_on_one_line(
    app, factory, login, post
):
    base, novice = _pair(app, factory, login)
    resp = post(
        novice,
        base + "/goals",
        {"title": "Бағалау", "need": "assessment", "target_date": "9999-01-01"},
    )
    assert resp.status_code == 200
    assert "Укажите дату между 1900 и 2200 годами." in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Goal.id))) == 0

    resp = post(
        novice,
        base + "/meetings",
        {
            "held_on": "2026-10-14",
            "duration_minutes": "45",
            "topic": "Бірінші\r\nекінші\u202e",
            "notes": "Бір\r\nекі\x00",
            "next_steps": "",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    meeting = db.session.scalar(select(Meeting))
    assert meeting.topic == "Бірінші екінші"
    assert meeting.notes == "Бір\nекі"
