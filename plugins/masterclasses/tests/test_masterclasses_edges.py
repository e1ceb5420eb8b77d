"""Input at its edges: every master-class GET route with ids past 64 bits, negative ids and
out-of-range or garbage query values (page, month, date, subject, region...) answers without a
server error; the month calendar and the date filter ignore what they cannot read."""

from __future__ import annotations

import datetime as dt

import pytest

from core.testing_routes import assert_no_server_errors, seed_world
from plugins.masterclasses.tests.helpers import make_event


@pytest.fixture
def app(make_app):
    app = make_app(plugins="masterclasses")
    with app.app_context():
        yield app


def test_every_masterclass_route_survives_out_of_range_input(app, factory):
    world = seed_world(factory, slug="edges")
    ev = make_event(world.association, starts_at=dt.datetime(2027, 3, 4, 13, 0))
    result = assert_no_server_errors(
        app,
        world,
        arg_defaults={
            "event_id": lambda w: ev.id,
            "material_id": lambda w: 1,
            "token": lambda w: "not-a-real-token",
            "code": lambda w: "\u202eNOT A CODE%00",
        },
        only=lambda endpoint: endpoint.startswith("masterclasses."),
    )
    # Each route was requested: its base URL with every edge query, each id replaced twice.
    assert result.requests["masterclasses.event"] >= 2 * (5 + 2)
    assert result.requests["masterclasses.month"] >= 2 * 5


@pytest.mark.parametrize(
    "url",
    [
        "/masterclasses/99999999999999999999999",
        "/masterclasses/99999999999999999999999.ics",
        "/masterclasses/99999999999999999999999/attendance",
        "/masterclasses/99999999999999999999999/participants.csv",
        "/masterclasses/-1",
        "/masterclasses/0",
    ],
)
def test_ids_out_of_range_are_not_found(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("month", ["9999-12", "1-1", "0-0", "2027-13", "abc", "-5-1"])
def test_calendar_month_out_of_range_shows_the_current_month(client, month):
    resp = client.get(f"/masterclasses/calendar?month={month}")
    assert resp.status_code == 200


def test_calendar_month_in_range_is_shown(client):
    resp = client.get("/masterclasses/calendar?month=2031-05")
    assert resp.status_code == 200
    assert "2031" in resp.get_data(as_text=True)


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "2027-02-30", "x"])
def test_listing_ignores_a_date_it_cannot_use(client, factory, value):
    assoc = factory.association()
    make_event(assoc, starts_at=dt.datetime(2027, 3, 4, 13, 0), title="Edge listing")
    resp = client.get(f"/masterclasses/?date={value}&page={2**70}&subject={2**70}")
    assert resp.status_code == 200


def _event_form(**over):
    data = {
        "title": "Формативті бағалау",
        "form": "masterclass",
        "description": "Сипаттама",
        "delivery": "face",
        "venue": "№3 мектеп",
        "address": "Қостанай",
        "starts_at": "2027-01-14T18:00",
        "ends_at": "2027-01-14T19:30",
        "capacity": "25",
        "credit_hours": "1.5",
        "visibility": "public",
        "scope": "one",
    }
    data.update(over)
    return data


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("starts_at", "0001-01-01T00:00"),
        ("starts_at", "9999-12-31T23:59"),
        ("ends_at", "9999-12-31T23:59"),
        ("registration_opens_at", "0001-01-01T00:00"),
        ("registration_deadline", "0001-01-01T00:00"),
        ("repeat_until", "9999-12-31"),
    ],
)
def test_a_date_in_year_1_or_9999_is_a_field_error_in_russian(
    client, factory, login, post, field, value
):
    from sqlalchemy import func, select

    from core.extensions import db
    from plugins.masterclasses.models import Event

    assoc = factory.association(slug="edge-dates")
    leader = factory.member(assoc, factory.user(locale="ru"), role="leader")
    login(client, leader)
    over = {field: value}
    if field == "repeat_until":
        over["rrule"] = "FREQ=WEEKLY"
    resp = post(client, "/masterclasses/a/edge-dates/new", _event_form(**over))
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Укажите дату между 1900 и 2200 годами." in page
    assert f'value="{value}"' in page  # what was typed is kept
    assert "Формативті бағалау" in page
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_titles_are_stored_on_one_line_without_controls(client, factory, login, post):
    from sqlalchemy import select

    from core.extensions import db
    from plugins.masterclasses.models import Event

    assoc = factory.association(slug="edge-titles")
    leader = factory.member(assoc, role="leader")
    login(client, leader)
    resp = post(
        client,
        "/masterclasses/a/edge-titles/new",
        _event_form(
            title="Бірінші\r\nжол\x00\u202eіш",
            venue="\u2066№3\u2069 мектеп\t",
            description="Бір\r\nекі\x00\u202e",
        ),
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    ev = db.session.scalar(select(Event))
    assert ev.title == "Бірінші жоліш"
    assert ev.venue == "№3 мектеп"
    assert ev.description == "Бір\nекі"  # a text area keeps its line breaks


def test_calendar_feeds_survive_a_title_with_a_line_break_already_stored(client, factory):
    from icalendar import Calendar

    assoc = factory.association(slug="edge-feed", name_kk="Бірлестік\r\nатауы")
    ev = make_event(
        assoc,
        starts_at=dt.datetime(2027, 3, 4, 13, 0),
        title="Бірінші\r\nекінші",
        venue="Мектеп\r\n№3",
    )
    for url in (f"/masterclasses/{ev.id}.ics", "/masterclasses/a/edge-feed/feed.ics"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        cal = Calendar.from_ical(resp.data)
        (item,) = cal.walk("VEVENT")
        assert str(item["SUMMARY"]) == "Бірінші екінші"
        assert "\n" not in str(cal["X-WR-CALNAME"])
