"""The recurrence builder (frequency, interval, weekdays, "the last Friday", "the second
Tuesday", until a date or a number of dates), its preview, and changing a series' rule for the
future dates only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from core.extensions import db
from core.models import Notification
from plugins.masterclasses import services
from plugins.masterclasses.models import Event, Registration, Series
from plugins.masterclasses.tests.helpers import series_form

NOW = dt.datetime(2027, 1, 10, 6, 0)  # 11:00 in Almaty, a Sunday


def _events():
    db.session.expire_all()
    return list(db.session.scalars(select(Event).order_by(Event.starts_at)))


def _local_days(events):
    return [(e.starts_at + dt.timedelta(hours=5)).date() for e in events]


@pytest.fixture
def leader(client, factory, login):
    assoc = factory.association(slug="shyn")
    user = factory.member(assoc, factory.user(locale="kk"), role="leader")
    login(client, user)
    return user


@pytest.mark.parametrize(
    ("choice", "rule"),
    [
        (services.Choice(freq="DAILY"), "FREQ=DAILY"),
        (
            services.Choice(freq="WEEKLY", interval=2, weekdays=["WE", "MO"]),
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
        ),
        (
            services.Choice(freq="MONTHLY", monthly="weekday", position="-1", weekday="FR"),
            "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1",
        ),
        (services.Choice(freq="MONTHLY", interval=3), "FREQ=MONTHLY;INTERVAL=3"),
    ],
)
def test_the_builder_writes_a_rule_and_reads_it_back(choice, rule):
    assert services.build_rule(choice) == rule
    back = services.parse_rule(rule)
    assert services.build_rule(back) == rule


def test_an_ordinal_byday_is_read_as_the_nth_weekday_and_odd_rules_stay_raw():
    choice = services.parse_rule("FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR")
    assert (choice.monthly, choice.position, choice.weekday, choice.interval) == (
        "weekday",
        "-1",
        "FR",
        2,
    )
    assert services.parse_rule("FREQ=YEARLY") is None
    assert services.parse_rule("FREQ=MONTHLY;BYMONTHDAY=15") is None
    assert services.parse_rule("nonsense") is None


def test_weekly_on_monday_and_wednesday_for_six_dates(client, leader, post):
    resp = post(
        client,
        "/masterclasses/a/shyn/new",
        series_form(weekdays=["MO", "WE"], ends="count", count="6", repeat_until=""),
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    events = _events()
    assert _local_days(events) == [
        dt.date(2027, 1, 11),
        dt.date(2027, 1, 13),
        dt.date(2027, 1, 18),
        dt.date(2027, 1, 20),
        dt.date(2027, 1, 25),
        dt.date(2027, 1, 27),
    ]
    # 15:00 in the site time zone (UTC+5) on every date.
    assert {e.starts_at.time() for e in events} == {dt.time(10, 0)}
    assert {e.ends_at - e.starts_at for e in events} == {dt.timedelta(minutes=90)}
    series = db.session.get(Series, events[0].series_id)
    assert series.rrule == "FREQ=WEEKLY;BYDAY=MO,WE"
    assert series.until_local == dt.date(2027, 1, 27)


def test_the_second_tuesday_of_every_month_until_a_date(client, leader, post):
    resp = post(
        client,
        "/masterclasses/a/shyn/new",
        series_form(
            repeat="MONTHLY",
            monthly="weekday",
            position="2",
            weekday="TU",
            starts_at="2027-01-01T18:00",
            ends_at="2027-01-01T19:00",
            repeat_until="2027-05-31",
        ),
    )
    assert resp.status_code == 302
    assert _local_days(_events()) == [
        dt.date(2027, 1, 12),
        dt.date(2027, 2, 9),
        dt.date(2027, 3, 9),
        dt.date(2027, 4, 13),
        dt.date(2027, 5, 11),
    ]


def test_the_last_friday_every_second_month(client, leader, post):
    post(
        client,
        "/masterclasses/a/shyn/new",
        series_form(
            repeat="MONTHLY",
            interval="2",
            monthly="weekday",
            position="-1",
            weekday="FR",
            starts_at="2027-01-29T15:00",
            ends_at="2027-01-29T17:00",
            repeat_until="2027-06-30",
        ),
    )
    assert _local_days(_events()) == [
        dt.date(2027, 1, 29),
        dt.date(2027, 3, 26),
        dt.date(2027, 5, 28),
    ]


def test_preview_shows_the_dates_in_kazakh_and_saves_nothing(client, leader, post):
    resp = post(
        client,
        "/masterclasses/a/shyn/new",
        series_form(weekdays=["MO", "WE"], ends="count", count="4", preview="1"),
    )
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Әр аптада: дүйсенбі, сәрсенбі" in page
    assert "Күндер саны: 4" in page
    assert "13 қаңтар 2027" in page and "20 қаңтар 2027" in page
    assert 'value="Әдістемелік семинар"' in page  # what was typed is kept
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_preview_in_russian(client, factory, login, post):
    assoc = factory.association(slug="ru-shyn")
    login(client, factory.member(assoc, factory.user(locale="ru"), role="leader"))
    resp = post(
        client,
        "/masterclasses/a/ru-shyn/new",
        series_form(repeat="MONTHLY", monthly="weekday", position="-1", weekday="FR", preview="1"),
    )
    page = resp.get_data(as_text=True)
    assert "Каждый месяц: последняя пятница" in page
    assert "29 января 2027" in page


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"ends": "count", "count": "", "repeat_until": ""}, "Күндер санын көрсетіңіз."),
        ({"ends": "count", "count": "500"}, "1"),
        ({"repeat_until": ""}, "Сериялардың аяқталу күнін көрсетіңіз."),
        ({"repeat": "custom", "rrule": ""}, "Ережені жазыңыз."),
        ({"repeat": "custom", "rrule": "FREQ=SOMETIMES"}, "FREQ=SOMETIMES"),
        ({"repeat": "HOURLY"}, "Қайталау"),
        ({"weekdays": ["XX"]}, "Аптаның"),
        ({"interval": "0"}, "Әр"),
    ],
)
def test_bad_recurrence_is_a_field_error_in_kazakh(client, leader, post, over, message):
    resp = post(client, "/masterclasses/a/shyn/new", series_form(**over))
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'class="error"' in page and message in page
    assert db.session.scalar(select(func.count(Event.id))) == 0


def test_the_advanced_rule_still_works(client, leader, post):
    resp = post(
        client,
        "/masterclasses/a/shyn/new",
        series_form(repeat="custom", rrule="FREQ=MONTHLY;BYMONTHDAY=15", repeat_until="2027-03-31"),
    )
    assert resp.status_code == 302
    assert _local_days(_events()) == [
        dt.date(2027, 1, 15),
        dt.date(2027, 2, 15),
        dt.date(2027, 3, 15),
    ]


def _make_weekly_series(client, post):
    """Mondays 15:00 from 11 Jan to 8 Feb 2027, published."""
    post(client, "/masterclasses/a/shyn/new", series_form(repeat_until="2027-02-08"))
    events = _events()
    post(client, f"/masterclasses/{events[0].id}/status/publish", {"scope": "following"})
    return _events()


def test_a_new_rule_changes_only_the_future_dates(client, factory, login, post):
    assoc = factory.association(slug="shyn")
    leader = factory.member(assoc, factory.user(locale="kk"), role="leader")
    teacher = factory.user()
    with time_machine.travel(NOW, tick=False):
        login(client, leader)
        events = _make_weekly_series(client, post)
        assert _local_days(events) == [
            dt.date(2027, 1, 11),
            dt.date(2027, 1, 18),
            dt.date(2027, 1, 25),
            dt.date(2027, 2, 1),
            dt.date(2027, 2, 8),
        ]
        ids = [e.id for e in events]
        for ev in events:
            services.register(ev.id, teacher)
    # Two weeks later: 11 and 18 January took place, the teacher attended the first one.
    with time_machine.travel(dt.datetime(2027, 1, 20, 6, 0), tick=False):
        first = db.session.scalar(select(Registration).where(Registration.event_id == ids[0]))
        first.attendance = "present"
        db.session.commit()
        login(client, leader)
        page = client.get(f"/masterclasses/{ids[2]}/series/rule").get_data(as_text=True)
        assert 'value="2027-01-25T15:00"' in page  # the next date by default
        assert "Әр аптада: дүйсенбі" in page
        # From 25 January: Mondays and Thursdays at 16:00 until 4 February.
        data = {
            "starts_from": "2027-01-25T16:00",
            "repeat": "WEEKLY",
            "interval": "1",
            "weekdays": ["MO", "TH"],
            "ends": "until",
            "repeat_until": "2027-02-04",
        }
        preview = post(client, f"/masterclasses/{ids[2]}/series/rule", {**data, "preview": "1"})
        assert preview.status_code == 200
        assert "Күндер саны: 4" in preview.get_data(as_text=True)
        assert _local_days(_events()) == _local_days(events)  # nothing changed yet
        resp = post(client, f"/masterclasses/{ids[2]}/series/rule", data)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]

    after = _events()
    by_id = {e.id: e for e in after}
    # The past dates and the attendance are kept as they were.
    assert by_id[ids[0]].starts_at == events[0].starts_at
    assert by_id[ids[1]].starts_at == events[1].starts_at
    kept = db.session.scalar(select(Registration).where(Registration.event_id == ids[0]))
    assert kept.attendance == "present"
    # 25 Jan and 1 Feb keep their rows and registrations, one hour later.
    assert by_id[ids[2]].starts_at == dt.datetime(2027, 1, 25, 11, 0)
    assert by_id[ids[3]].starts_at == dt.datetime(2027, 2, 1, 11, 0)
    assert by_id[ids[3]].status == "published"
    regs = db.session.scalars(select(Registration).where(Registration.event_id == ids[3])).all()
    assert [r.status for r in regs] == ["registered"]
    # 8 Feb is dropped: cancelled, its participant told.
    assert by_id[ids[4]].status == "cancelled"
    titles = [n.title for n in db.session.scalars(select(Notification)).all()]
    assert any(by_id[ids[4]].title in t for t in titles)
    # Thursdays 28 Jan and 4 Feb are new, published, at 16:00 local.
    new = [e for e in after if e.id not in ids]
    assert [e.starts_at for e in new] == [
        dt.datetime(2027, 1, 28, 11, 0),
        dt.datetime(2027, 2, 4, 11, 0),
    ]
    assert {e.status for e in new} == {"published"}
    assert {e.series_id for e in after} == {events[0].series_id}
    series = db.session.get(Series, events[0].series_id)
    assert series.rrule == "FREQ=WEEKLY;BYDAY=MO,TH"


def test_a_new_rule_must_start_in_the_future_and_needs_an_editor(client, factory, login, post):
    assoc = factory.association(slug="shyn")
    leader = factory.member(assoc, factory.user(locale="kk"), role="leader")
    with time_machine.travel(NOW, tick=False):
        login(client, leader)
        events = _make_weekly_series(client, post)
        resp = post(
            client,
            f"/masterclasses/{events[0].id}/series/rule",
            {
                "starts_from": "2027-01-09T16:00",
                "repeat": "DAILY",
                "ends": "count",
                "count": "3",
            },
        )
        assert resp.status_code == 200
        assert "Жаңа ереже болашақтан басталуы керек." in resp.get_data(as_text=True)
        assert len(_events()) == 5
        client.post("/logout")
        login(client, factory.member(assoc))
        assert client.get(f"/masterclasses/{events[0].id}/series/rule").status_code == 403
        resp = post(
            client,
            f"/masterclasses/{events[0].id}/series/rule",
            {"starts_from": "2027-01-20T16:00", "repeat": "DAILY", "ends": "count", "count": "3"},
        )
        assert resp.status_code == 403
        assert len(_events()) == 5


def test_a_single_event_has_no_rule_page(client, factory, login):
    from plugins.masterclasses.tests.helpers import make_event

    assoc = factory.association(slug="shyn")
    leader = factory.member(assoc, role="leader")
    ev = make_event(assoc, hosts=[leader])
    login(client, leader)
    assert client.get(f"/masterclasses/{ev.id}/series/rule").status_code == 404
