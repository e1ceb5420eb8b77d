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
