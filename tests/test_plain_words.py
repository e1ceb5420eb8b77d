"""Pages in words, not codes: notifications quote a name once, times show no seconds."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.models import Notification, Role


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


def test_a_name_in_guillemets_is_not_quoted_twice(client, factory, login, post, app):
    a = factory.association(
        slug="shyn", name_kk="«ШЫҢ» желісі", name_ru="Сеть «ШЫҢ»", join_policy="request"
    )
    leader = factory.user(locale="kk")
    factory.member(a, leader, role=Role.LEADER.value)
    teacher = factory.user(full_name="Айгүл Серікқызы")
    login(client, teacher)
    assert post(client, "/a/shyn/join", {"message": ""}).status_code in (302, 303)
    note = (
        app.extensions["sqlalchemy"].session.query(Notification).filter_by(user_id=leader.id).one()
    )
    assert "«ШЫҢ» желісі" in note.title
    assert "««" not in note.title and "»»" not in note.title
    assert not note.title.rstrip(".").endswith("желісі»")


def test_times_on_pages_are_shown_without_seconds(client, factory, login, post):
    factory.association(slug="damu", name_kk="Даму", name_ru="Даму", join_policy="request")
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, 30, 5), tick=False):
        teacher = factory.user(locale="ru")
        login(client, teacher)
        post(client, "/a/damu/join", {"message": ""})
        html = client.get("/a/damu").get_data(as_text=True)
    html = html.replace("\u00a0", " ").replace("\u202f", " ")  # Babel's no-break spaces
    assert "2 дек. 2026 г., 14:30" in html  # 09:30 UTC is 14:30 in Asia/Almaty
    assert "14:30:05" not in html


def test_fmt_dt_medium_has_no_seconds(app):
    from flask_babel import force_locale

    from core.templating import fmt_dt

    instant = dt.datetime(2026, 12, 2, 9, 30, 5)  # 14:30:05 in Asia/Almaty
    with app.test_request_context():
        for locale, day in (("kk", "жел."), ("ru", "дек."), ("en", "Dec")):
            with force_locale(locale):
                text = fmt_dt(instant)
                assert "14:30" in text or "2:30" in text, text
                assert ":05" not in text and day in text, text
