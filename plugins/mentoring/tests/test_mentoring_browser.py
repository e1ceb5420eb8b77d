"""The main mentoring journey in Chromium, in Kazakh: a young specialist asks for a mentor and
sees ranked mentors with reasons; the coordinator runs the assignment and confirms; both
accept; the mentor logs a meeting and a lesson observation; the young specialist reflects;
the coordinator downloads the programme report."""

from __future__ import annotations

import csv
import io

import pytest

from core.testing_browser import browser_login
from core.timeutil import site_date
from plugins.mentoring.tests.world import add_mentor, make_world

pytestmark = pytest.mark.browser


def test_mentoring_journey(live_server, page, factory):
    with live_server.app.app_context():
        w = make_world(factory)
        mentor, _ = add_mentor(
            factory, w, "Гүлжан Мұсина", capacity=2, strengths="assessment,critical_thinking"
        )
        add_mentor(factory, w, "Физика мұғалімі", subject=w.physics, school=w.other_school)
        novice = factory.member(
            w.association,
            factory.user(
                full_name="Ақбота Жұмабаева",
                experience_years=1,
                school_id=w.school.id,
                district_id=w.district.id,
            ),
        )
        emails = {
            "novice": novice.email,
            "mentor": mentor.email,
            "coordinator": w.coordinator.email,
        }
        prog = f"/mentoring/a/{w.association.slug}/{w.programme.id}/"
        math_id = w.math.id
    base = live_server.url

    def as_user(who: str) -> None:
        page.context.clear_cookies()
        browser_login(page, base, emails[who])

    # the young specialist asks for a mentor, with needs and a diagnostic
    as_user("novice")
    page.goto(base + prog)
    page.click(f"a[href='{prog}novice']")
    page.select_option("select[name=subject]", str(math_id))
    page.check("input[name=grades][value='5']")
    page.select_option("select[name=language]", "kk")
    page.check("input[name=needs][value=assessment]")
    page.check("input[name=needs][value=critical_thinking]")
    page.fill("textarea[name=diagnostic]", "Оқушылардың деңгейін ерте бағалау қиын")
    page.locator("main form button").last.click()
    page.wait_for_url(f"**{prog}mentors")
    first = page.locator("#ranked > li").first
    assert "Гүлжан Мұсина" in first.inner_text()
    assert first.locator(".reasons li").count() >= 5
    assert page.locator("#ranked > li").count() == 2
    assert page.locator("html").get_attribute("lang") == "kk"

    # the coordinator sees her waiting, runs the optimal assignment and confirms it
    as_user("coordinator")
    page.goto(base + prog)
    assert "Ақбота Жұмабаева" in page.locator("section.front").inner_text()
    page.click(f"a[href='{prog}assign']")
    selected = page.locator("main select option[selected]")
    assert "Гүлжан Мұсина" in selected.first.inner_text()
    page.locator("main form button").last.click()
    page.wait_for_url(f"**{prog}")
    page.click("main table a")  # the new pair
    pair_url = page.url

    # both accept: the young specialist, then the mentor
    as_user("novice")
    page.goto(pair_url)
    page.click("form[action$='/do/accept'] button")
    as_user("mentor")
    page.goto(pair_url)
    page.click("form[action$='/do/accept'] button")
    page.wait_for_load_state()
    assert page.locator("form[action$='/do/pause']").count() == 1  # active now

    # the mentor logs a meeting and a lesson observation
    page.click("#meetings summary")
    page.fill("#meetings input[name=held_on]", site_date().isoformat())  # the pair began today
    page.fill("#meetings input[name=duration_minutes]", "50")
    page.fill("#meetings input[name=topic]", "Критериалды бағалау")
    page.fill("#meetings textarea[name=next_steps]", "Дескрипторлар жазу")
    page.click("#meetings form button")
    page.wait_for_load_state()
    assert "Критериалды бағалау" in page.locator("#meetings").inner_text()
    page.click("#observations a.button")
    page.fill("input[name=lesson_date]", "2026-10-20")
    page.fill("input[name=class_name]", "5 Ә")
    page.fill("input[name=lesson_topic]", "Жай бөлшектер")
    page.check("input[name=focus][value=assessment]")
    page.fill("textarea[name=went_well]", "Оқу мақсаты анық қойылды")
    page.fill("textarea[name=to_improve]", "Кері байланыс аз болды")
    page.locator("main form button").last.click()
    page.wait_for_load_state()
    assert "Жай бөлшектер" in page.locator("#observations").inner_text()

    # the young specialist reflects on the observed lesson
    as_user("novice")
    page.goto(pair_url)
    page.fill(
        "#observations textarea[name=reflection]", "Келесі сабақта бағдаршам әдісін қолданамын"
    )
    page.click("#observations form button")
    page.wait_for_load_state()
    assert "бағдаршам әдісін" in page.locator("#observations .reflection").inner_text()

    # the coordinator downloads the programme report
    as_user("coordinator")
    page.goto(base + prog)
    with page.expect_download() as info:
        page.click(f"a[href='{prog}report.csv']")
    path = info.value.path()
    with open(path, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(io.StringIO(fh.read()), delimiter=";"))
    pair_rows = [r for r in rows if "Ақбота Жұмабаева" in r and "Гүлжан Мұсина" in r]
    assert len(pair_rows) == 1
    assert pair_rows[0][3:6] == ["1", "0,83", "1"]  # meetings, hours in kk, observations
