"""Series for a cyclogram: occurrences from an RRULE, editing one or the following ones,
registering for the series."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from plugins.masterclasses.models import Event, Registration


def _series_form(**over):
    data = {
        "title": "Желілік онлайн кездесу",
        "form": "network_meeting",
        "delivery": "online",
        "meeting_url": "https://meet.example.kz/shyn",
        "starts_at": "2027-01-14T18:00",
        "ends_at": "2027-01-14T19:00",
        "capacity": "30",
        "visibility": "public",
        "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        "repeat_until": "2027-05-31",
    }
    data.update(over)
    return data


def _events():
    db.session.expire_all()
    return list(db.session.scalars(select(Event).order_by(Event.starts_at)))


def test_every_two_weeks_on_thursday_at_18_local(client, factory, login, post):
    assoc = factory.association(slug="shyn")
    login(client, factory.member(assoc, role="leader"))
    resp = post(client, "/masterclasses/a/shyn/new", _series_form())
    assert resp.status_code == 302, resp.get_data(as_text=True)[:1500]
    events = _events()
    assert len(events) == 10  # 14 Jan .. 20 May 2027
    assert {e.series_id for e in events} == {events[0].series_id}
    for e in events:
        assert e.starts_at.weekday() == 3 and e.starts_at.time() == dt.time(13, 0)
    gaps = {(b.starts_at - a.starts_at).days for a, b in zip(events, events[1:], strict=False)}
    assert gaps == {14}


def test_last_friday_of_every_second_month(client, factory, login, post):
    assoc = factory.association(slug="shyn")
    login(client, factory.member(assoc, role="leader"))
    post(
        client,
        "/masterclasses/a/shyn/new",
        _series_form(
            form="network_meeting",
            delivery="face",
            venue="Заречный мектебі",
            starts_at="2027-01-29T15:00",
            ends_at="2027-01-29T17:00",
            rrule="FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR",
            repeat_until="2027-06-30",
        ),
    )
    assert [e.starts_at for e in _events()] == [
        dt.datetime(2027, 1, 29, 10, 0),
        dt.datetime(2027, 3, 26, 10, 0),
        dt.datetime(2027, 5, 28, 10, 0),
    ]


def test_invalid_rule_is_a_field_error_and_nothing_is_stored(client, factory, login, post):
    assoc = factory.association(slug="shyn")
    login(client, factory.member(assoc, role="leader"))
    resp = post(client, "/masterclasses/a/shyn/new", _series_form(rrule="FREQ=SOMETIMES"))
    assert resp.status_code == 200
    assert "FREQ=SOMETIMES" in resp.get_data(as_text=True)
    resp = post(client, "/masterclasses/a/shyn/new", _series_form(repeat_until=""))
    assert resp.status_code == 200
    assert _events() == []


def test_edit_one_occurrence_or_the_following_ones(client, factory, login, post):
    assoc = factory.association(slug="shyn")
    login(client, factory.member(assoc, role="leader"))
    post(client, "/masterclasses/a/shyn/new", _series_form(repeat_until="2027-02-20"))
    e1, e2, e3 = _events()
    assert e1.status == e2.status == "draft"

    one = _series_form(
        title="Тек осы кездесу",
        starts_at="2027-01-28T18:00",
        ends_at="2027-01-28T19:00",
        scope="one",
    )
    assert post(client, f"/masterclasses/{e2.id}/edit", one).status_code == 302
    assert [e.title for e in _events()] == [
        "Желілік онлайн кездесу",
        "Тек осы кездесу",
        "Желілік онлайн кездесу",
    ]

    following = _series_form(
        title="Жаңа уақыт",
        starts_at="2027-01-28T19:00",
        ends_at="2027-01-28T20:30",
        scope="following",
    )
    assert post(client, f"/masterclasses/{e2.id}/edit", following).status_code == 302
    a, b, c = _events()
    assert a.title == "Желілік онлайн кездесу" and a.starts_at == dt.datetime(2027, 1, 14, 13)
    assert b.title == c.title == "Жаңа уақыт"
    assert b.starts_at == dt.datetime(2027, 1, 28, 14) and c.starts_at == dt.datetime(
        2027, 2, 11, 14
    )
    assert c.ends_at - c.starts_at == dt.timedelta(minutes=90)

    # Publish the whole series from its first date.
    post(client, f"/masterclasses/{a.id}/status/publish", {"scope": "following"})
    assert {e.status for e in _events()} == {"published"}


def test_register_for_the_series_or_one_occurrence(client, factory, login, post):
    assoc = factory.association(slug="shyn")
    leader = factory.member(assoc, role="leader")
    login(client, leader)
    post(
        client,
        "/masterclasses/a/shyn/new",
        _series_form(
            starts_at="2030-01-10T18:00", ends_at="2030-01-10T19:00", repeat_until="2030-02-28"
        ),
    )
    events = _events()
    post(client, f"/masterclasses/{events[0].id}/status/publish", {"scope": "following"})
    post(client, "/logout")

    teacher = factory.user()
    login(client, teacher)
    post(client, f"/masterclasses/{events[1].id}/series/register")
    post(client, "/logout")
    login(client, leader)  # moving the series tells the registered
    moved = _series_form(
        starts_at="2030-01-24T19:00", ends_at="2030-01-24T20:00", scope="following"
    )
    assert post(client, f"/masterclasses/{events[1].id}/edit", moved).status_code == 302
    notes = db.session.scalars(
        select(Notification.url).where(Notification.user_id == teacher.id)
    ).all()
    assert sorted(notes) == sorted(f"/masterclasses/{e.id}" for e in events[1:])
    post(client, "/logout")
    login(client, teacher)
    regs = dict(db.session.execute(select(Registration.event_id, Registration.status)).all())
    assert regs == {e.id: "registered" for e in events[1:]}
    post(client, f"/masterclasses/{events[0].id}/register")
    post(client, f"/masterclasses/{events[2].id}/series/cancel")
    db.session.expire_all()
    regs = dict(db.session.execute(select(Registration.event_id, Registration.status)).all())
    assert regs[events[0].id] == "registered" and regs[events[1].id] == "registered"
    assert all(regs[e.id] == "cancelled" for e in events[2:])
