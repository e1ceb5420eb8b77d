"""A pair plans a meeting on a phone (390 px, Kazakh), downloads its .ics invitation and checks
its content, then records it as held; every page of the journey must fit the screen."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from core.testing_browser import assert_fits, browser_login
from core.timeutil import site_date
from plugins.mentoring.tests.world import add_mentor, add_novice, add_pair, make_world

pytestmark = pytest.mark.browser

LONG_LINK = "https://meet.example.kz/" + "kostanai-audandyq-adistemelik-kabinet-" * 4 + "room"


def test_pair_plans_downloads_ics_and_records_the_meeting(live_server, page, factory):
    with live_server.app.app_context():
        w = make_world(factory)
        mentor, m = add_mentor(factory, w, "Гүлжан Мұсина", capacity=2)
        novice, n = add_novice(factory, w, "Ақбота Жұмабаева")
        pair = add_pair(m, n)
        pair_path = f"/mentoring/pairs/{pair.id}"
        mentor_email, novice_email = mentor.email, novice.email
        pair_id = pair.id
    base = live_server.url
    # a day ahead of the site's today, whatever the hour the test runs at
    day = site_date() + dt.timedelta(days=3)
    page.set_viewport_size({"width": 390, "height": 844})

    browser_login(page, base, mentor_email)
    assert_fits(page, base + pair_path)
    assert page.locator("html").get_attribute("lang") == "kk"
    page.click("#planned summary")
    page.fill("#planned input[name=day]", day.isoformat())
    page.fill("#planned input[name=time]", "15:30")
    page.select_option("#planned select[name=duration_minutes]", "60")
    page.fill("#planned input[name=topic]", "Критериалды бағалау")
    page.fill("#planned input[name=link]", LONG_LINK)
    page.click("#planned form button")
    page.wait_for_load_state()
    planned = page.locator("#planned li.planned")
    assert planned.count() == 1
    assert "Критериалды бағалау" in planned.inner_text()
    assert "Күнтізбеге қосу (.ics)" in planned.inner_text()
    assert_fits(page)  # the long meeting link wraps

    with page.expect_download() as info:
        page.click("#planned a.ics")
    with open(info.value.path(), "rb") as fh:
        cal = Calendar.from_ical(fh.read())
    event = cal.walk("VEVENT")[0]
    assert cal["METHOD"] == "REQUEST"
    assert str(event["SUMMARY"]) == "Критериалды бағалау"
    assert str(event["UID"]).startswith("mentoring-meeting-")
    assert int(event["SEQUENCE"]) == 0
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Asia/Almaty"
    assert (start.date(), start.hour, start.minute) == (day, 15, 30)
    assert event.decoded("dtend") - start == dt.timedelta(minutes=60)
    assert str(event["LOCATION"]) == LONG_LINK
    assert {str(a) for a in event["ATTENDEE"]} == {
        f"mailto:{mentor_email}",
        f"mailto:{novice_email}",
    }

    # the young specialist records it as held (once it took place: today in the form)
    page.context.clear_cookies()
    browser_login(page, base, novice_email)
    page.goto(base + pair_path)
    page.click("#planned a.hold")
    page.wait_for_load_state()
    assert_fits(page)
    page.fill("input[name=held_on]", site_date().isoformat())
    page.fill("textarea[name=notes]", "Дескрипторлар талқыланды")
    page.locator("main form button").last.click()
    page.wait_for_url(f"**{pair_path}*")
    assert page.locator("#planned li.planned").count() == 0
    log = page.locator("#meetings li.meeting")
    assert log.count() == 1 and "Критериалды бағалау" in log.inner_text()
    assert_fits(page)
    assert_fits(page, f"{base}/mentoring/pairs/{pair_id}/history")
    assert "өтті деп белгіленді" in page.locator("#history").inner_text()
