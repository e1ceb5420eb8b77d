"""Calendars: RFC 5545 files per event, a personal feed behind a secret token, a public feed
per association; times round-trip, and 18:00 in Almaty is 13:00 UTC all year (no DST)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from icalendar import Calendar

from core.extensions import db
from plugins.masterclasses.tests.helpers import make_event

ALMATY = ZoneInfo("Asia/Almaty")


def _vevents(resp):
    assert resp.status_code == 200
    assert resp.mimetype == "text/calendar"
    cal = Calendar.from_ical(resp.data)
    return [c for c in cal.walk("VEVENT")]


def test_event_ics_parses_round_trips_and_keeps_a_stable_uid(client, factory, login, post):
    assoc = factory.association()
    leader = factory.member(assoc, role="leader")
    ev = make_event(assoc, starts_at=dt.datetime(2027, 3, 4, 13, 0), title="Lesson Study: ҚМЖ")
    (first,) = _vevents(client.get(f"/masterclasses/{ev.id}.ics"))
    (again,) = _vevents(client.get(f"/masterclasses/{ev.id}.ics"))
    assert str(first["UID"]) == str(again["UID"]) == f"masterclasses-event-{ev.id}@localhost"
    start = first.decoded("DTSTART")
    assert start == dt.datetime(2027, 3, 4, 13, 0, tzinfo=dt.UTC)
    assert start.astimezone(ALMATY).hour == 18
    assert first.decoded("DTEND") == dt.datetime(2027, 3, 4, 15, 0, tzinfo=dt.UTC)
    assert str(first["SUMMARY"]) == "Lesson Study: ҚМЖ"
    assert str(first["STATUS"]) == "CONFIRMED"

    login(client, leader)
    post(client, f"/masterclasses/{ev.id}/status/cancel")
    (cancelled,) = _vevents(client.get(f"/masterclasses/{ev.id}.ics"))
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["UID"]) == str(first["UID"])
    assert int(cancelled["SEQUENCE"]) > int(first["SEQUENCE"])


def test_18_almaty_is_13_utc_in_every_month(client, factory, login, post):
    assoc = factory.association(slug="shyn")
    login(client, factory.member(assoc, role="leader"))
    post(
        client,
        "/masterclasses/a/shyn/new",
        {
            "title": "Ай сайынғы кездесу",
            "form": "network_meeting",
            "delivery": "online",
            "starts_at": "2027-01-15T18:00",
            "ends_at": "2027-01-15T19:00",
            "visibility": "public",
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=15",
            "repeat_until": "2027-12-31",
        },
    )
    from sqlalchemy import select

    from plugins.masterclasses.models import Event

    first = db.session.scalar(select(Event).order_by(Event.starts_at))
    post(client, f"/masterclasses/{first.id}/status/publish", {"scope": "following"})
    events = _vevents(client.get("/masterclasses/a/shyn/feed.ics"))
    assert len(events) == 12
    months = set()
    for ve in events:
        start = ve.decoded("DTSTART")
        assert start.utcoffset() == dt.timedelta(0)
        assert (start.hour, start.minute) == (13, 0)
        assert start.astimezone(ALMATY).hour == 18
        months.add(start.month)
    assert months == set(range(1, 13))


def test_personal_feed_lists_what_i_registered_for_behind_a_secret(client, factory, login, post):
    assoc = factory.association()
    mine = make_event(
        assoc, title="Менің семинарым", delivery="online", meeting_url="https://meet.kz/x"
    )
    make_event(assoc, title="Басқа семинар")
    teacher = factory.user()
    login(client, teacher)
    post(client, f"/masterclasses/{mine.id}/register")
    assert "/masterclasses/feed/" not in client.get("/masterclasses/my").get_data(as_text=True)
    post(client, "/masterclasses/my/feed")  # the secret is made on request, by a POST
    page = client.get("/masterclasses/my").get_data(as_text=True)
    url = re.search(r"/masterclasses/feed/[\w-]+\.ics", page).group(0)
    post(client, "/logout")

    events = _vevents(client.get(url))  # no login needed: the token is the key
    assert [str(e["SUMMARY"]) for e in events] == ["Менің семинарым"]
    assert "https://meet.kz/x" in str(events[0]["DESCRIPTION"])
    assert client.get("/masterclasses/feed/not-a-token.ics").status_code == 404

    login(client, teacher)
    post(client, "/masterclasses/my/feed")
    assert client.get(url).status_code == 404


def test_public_feed_has_only_public_events(client, factory):
    assoc = factory.association(slug="damu")
    make_event(assoc, title="Ашық сабақ")
    make_event(assoc, title="Ішкі жиналыс", visibility="members")
    make_event(assoc, title="Жоба", status="draft")
    titles = [str(e["SUMMARY"]) for e in _vevents(client.get("/masterclasses/a/damu/feed.ics"))]
    assert titles == ["Ашық сабақ"]
