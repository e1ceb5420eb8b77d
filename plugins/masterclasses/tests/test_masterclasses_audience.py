"""The list's delivery filter offers hybrid; an event may take only its target audience."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.extensions import db
from core.models import Subject
from plugins.masterclasses.models import Registration
from plugins.masterclasses.tests.helpers import make_event


def test_the_delivery_filter_finds_hybrid_events(client, factory):
    assoc = factory.association(slug="hyb")
    make_event(assoc, title="Гибридті семинар", delivery="hybrid", meeting_url="https://m.kz/1")
    make_event(assoc, title="Онлайн вебинар", delivery="online", meeting_url="https://m.kz/2")
    make_event(assoc, title="Бетпе-бет сабақ", delivery="face")
    page = client.get("/masterclasses/?delivery=hybrid").get_data(as_text=True)
    assert 'value="hybrid" selected' in page
    assert "Гибридті семинар" in page
    assert "Онлайн вебинар" not in page and "Бетпе-бет сабақ" not in page


def _subject(name):
    s = Subject(code="math-aud", name_kk=name, name_ru=name, name_en=name)
    db.session.add(s)
    db.session.commit()
    return s


def test_registration_for_the_target_audience_only(client, factory, login, post):
    assoc = factory.association(slug="aud")
    math = _subject("Математика")
    ev = make_event(
        assoc,
        target_categories="expert,researcher",
        start_in=dt.timedelta(days=5),
        enforce_audience=True,
    )
    ev.subjects = [math]
    db.session.commit()
    outsider = factory.user(category="moderator", locale="kk")
    login(client, outsider)
    page = client.get(f"/masterclasses/{ev.id}").get_data(as_text=True)
    assert "Бұл іс-шараға тек мақсатты аудитория тіркеледі" in page
    assert f'action="/masterclasses/{ev.id}/register"' not in page
    resp = post(client, f"/masterclasses/{ev.id}/register")
    page = client.get(resp.location).get_data(as_text=True)
    assert "біліктілік санаттарына" in page and "Математика" in page
    assert db.session.scalar(select(Registration.id)) is None

    client.post("/logout")
    fits = factory.user(category="expert", locale="kk")
    fits.subjects = [math]
    db.session.commit()
    login(client, fits)
    post(client, f"/masterclasses/{ev.id}/register")
    assert db.session.scalar(select(Registration.user_id)) == fits.id


def test_without_enforcement_anyone_may_register(client, factory, login, post):
    assoc = factory.association(slug="aud2")
    ev = make_event(assoc, target_categories="expert", start_in=dt.timedelta(days=5))
    login(client, factory.user(category="none"))
    post(client, f"/masterclasses/{ev.id}/register")
    assert db.session.scalar(select(Registration.id)) is not None
