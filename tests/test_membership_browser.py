"""In Chromium, in Kazakh, on a phone-sized screen: find the district network in the
directory, ask to join, the leader approves from the home page, the new member sees the
association as a member. Selectors use form actions and names, not translated text."""

from __future__ import annotations

import pytest

from core.extensions import db
from core.testing_browser import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture
def live_app(make_app):
    return make_app(plugins="sample", file_db=True)


def _as(page, base, email):
    page.context.clear_cookies()
    browser_login(page, base, email)


def test_find_request_approve_and_see_membership(live_server, page, factory):
    base = live_server.url
    with live_server.app.app_context():
        region = factory.region(code="kostanay", name_kk="Қостанай облысы")
        net = factory.association(
            slug="shyn-network",
            name_kk="ШЫҢ мектептер желісі",
            abbr_kk="ШЫҢ",
            level="network",
            kind="network",
            region_id=region.id,
            join_policy="request",
            topic_kk="Зерттеу сабақ",
        )
        factory.association(slug="other", name_kk="Басқа бірлестік", region_id=region.id)
        leader = factory.member(net, factory.user(email="leader@example.kz"), role="leader")
        teacher = factory.user(email="teacher@example.kz", full_name="Айгүл Нұрланқызы")
        emails = (leader.email, teacher.email)
        db.session.commit()

    _as(page, base, emails[1])
    page.goto(f"{base}/associations")
    page.fill("input[name=q]", "шың")
    page.locator("form.filters button").click()
    page.wait_for_load_state()
    assert page.locator("a[href='/a/other']").count() == 0
    page.click("a[href='/a/shyn-network']")
    page.wait_for_url("**/a/shyn-network")
    assert "Зерттеу сабақ" in page.locator("#charter").inner_text()
    page.fill("textarea[name=message]", "Мен ауыл мектебінің математика мұғалімімін")
    page.click("form[action='/a/shyn-network/join'] button")
    page.wait_for_url("**/a/shyn-network")
    assert page.locator("form[action='/a/shyn-network/join/cancel']").is_visible()

    _as(page, base, emails[0])
    page.goto(f"{base}/")
    requests = page.locator("#requests")
    assert "Айгүл Нұрланқызы" in requests.inner_text()
    requests.locator("a[href='/a/shyn-network/requests']").click()
    page.wait_for_url("**/a/shyn-network/requests")
    assert "ауыл мектебінің" in page.locator(".requests").inner_text()
    page.click("form[action$='/approve'] button")
    page.wait_for_url("**/a/shyn-network/requests")
    assert page.locator(".flash.success").is_visible()

    _as(page, base, emails[1])
    page.goto(f"{base}/a/shyn-network")
    assert page.locator("form[action='/a/shyn-network/leave']").is_visible()
    assert page.locator("#member-count").inner_text() == "2"
    page.click("nav.tabs a[href='/a/shyn-network/members']")
    page.wait_for_url("**/a/shyn-network/members")
    assert "Айгүл Нұрланқызы" in page.locator("table.members").inner_text()
