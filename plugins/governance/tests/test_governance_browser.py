"""The general-meeting journey in Chromium, in Kazakh: the secretary convenes a meeting with a
motion; members check in with the meeting's code, a non-voting participant too; the secretary
marks the chair present and the quorum is reached; the motion passes by two thirds of the
voting members present; the chair and the secretary approve the minutes; an anonymous visitor
verifies the minutes' code."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.api import db
from core.testing_browser import browser_login
from plugins.governance.models import GeneralMeeting
from plugins.governance.tests.world import make_world

pytestmark = pytest.mark.browser


def test_general_meeting_journey(live_server, page, factory):
    with live_server.app.app_context():
        w = make_world(factory, members=2)  # 4 voting members and a participant
        emails = {
            "secretary": w.secretary.email,
            "chair": w.leader.email,
            "m0": w.members[0].email,
            "m1": w.members[1].email,
            "participant": w.participant.email,
        }
        ids = {"chair": w.leader.id, "secretary": w.secretary.id}
    base = live_server.url
    gov = base + "/governance/a/shyn-network/"

    def as_user(who: str) -> None:
        page.context.clear_cookies()
        browser_login(page, base, emails[who])

    # the secretary convenes the meeting with an agenda and a motion
    as_user("secretary")
    page.goto(gov)
    assert page.locator("html").get_attribute("lang") == "kk"
    page.click("a[href$='/meetings/new']")
    page.fill("input[name=title]", "Жылдық жалпы жиналыс")
    page.select_option("select[name=mode]", "hybrid")
    page.fill("input[name=starts_at]", "2026-04-24T15:00")
    page.fill("input[name=place]", "Шұңқыркөл мектебі")
    page.fill("input[name=link]", "https://meet.example.kz/shyn")
    page.fill("input[name='items-0-title']", "Жылдық есеп")
    page.fill("input[name='items-1-title']", "Циклограмма")
    page.fill("textarea[name='items-1-motion']", "Бетпе-бет кездесуді екі айда бір өткізу")
    page.locator("main form button").last.click()
    page.wait_for_url("**/meetings/*")
    meeting_url = page.url
    code = page.locator("#checkin-code").inner_text()
    with live_server.app.app_context():
        meeting = db.session.scalar(select(GeneralMeeting))
        item_id = meeting.items[1].id
    assert "Кворум жоқ" in page.locator("#quorum").inner_text()

    # members check in with the code; the participant too (present, without a vote)
    for who in ("m0", "m1", "participant"):
        as_user(who)
        page.goto(meeting_url)
        page.fill("input[name=code]", code.lower())
        page.click("form[action$='/checkin'] button")
        page.wait_for_load_state()
        assert "Сіз тіркелдіңіз." in page.content()

    # the secretary marks herself and the chair present: 4 of 4 voting members, quorum
    as_user("secretary")
    page.goto(meeting_url)
    page.check(f"#attendance input[value='{ids['chair']}']")
    page.check(f"#attendance input[value='{ids['secretary']}']")
    page.click("#attendance button")
    page.wait_for_load_state()
    quorum = page.locator("#quorum").inner_text()
    assert "Кворум бар" in quorum and "4" in quorum
    assert "Дауыс беру құқығынсыз қатысқандар: 1." in quorum
    page.click("form[action$='/open'] button")
    page.wait_for_load_state()
    page.click(f"form[action$='/items/{item_id}/start'] button")
    page.wait_for_load_state()

    # three for, one against: 3 of 4 present is at least two thirds
    item = f"#item-{item_id}"
    for who, choice in (("secretary", "for"), ("chair", "for"), ("m0", "for"), ("m1", "against")):
        if who != "secretary":
            as_user(who)
        page.goto(meeting_url)
        page.select_option(f"{item} select[name=choice]", choice)
        page.click(f"{item} form[action$='/vote'] button")
        page.wait_for_load_state()
        assert "Дауысыңыз есепке алынды." in page.content()
    as_user("participant")
    page.goto(meeting_url)
    assert page.locator(f"{item} form[action$='/vote']").count() == 0

    as_user("secretary")
    page.goto(meeting_url)
    page.click(f"form[action$='/items/{item_id}/stop'] button")
    page.wait_for_load_state()
    result = page.locator(f"{item} .result").inner_text()
    assert "Қабылданды" in result and "Жақтап: 3" in result
    page.click("form[action$='/close'] button")
    page.wait_for_load_state()
    page.click("a[href$='/minutes']")
    page.wait_for_load_state()
    minutes_url = page.url
    assert "Зерттеуші Әлия" in page.locator("#minutes-body").inner_text()
    page.click("form[action$='/minutes/approve'] button")
    page.wait_for_load_state()

    as_user("chair")
    page.goto(minutes_url)
    page.click("form[action$='/minutes/approve'] button")
    page.wait_for_load_state()
    approvals = page.locator("#approvals").inner_text()
    assert "Айгүл Сейітова" in approvals and "Нұрлан Қасымов" in approvals
    code = page.locator("#minutes-code").inner_text()
    assert page.locator("a[href$='/minutes/edit']").count() == 0  # frozen

    # an anonymous visitor verifies the code
    page.context.clear_cookies()
    page.goto(base + "/governance/verify/")
    page.fill("input[name=code]", code)
    page.click("main form button")
    page.wait_for_load_state()
    verified = page.locator("#verified").inner_text()
    assert "Бұл хаттама түпнұсқа және бекітілген." in verified
    assert "Жылдық жалпы жиналыс" in verified and "Айгүл Сейітова" in verified
