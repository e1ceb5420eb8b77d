"""Issue 15, in Chromium on a 390 px phone with the Kazakh interface: a member writes a
private message to another from their profile, who finds it from the home page, reads it and
answers. Every page of the journey must fit the screen."""

from __future__ import annotations

import pytest

from core.testing_browser import assert_fits, browser_login, browser_logout
from plugins.forum.tests.forumkit import world

pytestmark = pytest.mark.browser

LONG_WORD = "Қашықтықтаноқытудыңәдістемелікұсынымдарыныңжинағы" * 2


def test_a_private_message_is_sent_read_and_answered_on_a_phone(
    live_app, live_server, page, factory
):
    with live_app.app_context():
        w = world(factory)
        dana, yerzhan, yerzhan_id = w.member.email, w.member2.email, w.member2.id
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})

    browser_login(page, base, dana)
    page.goto(f"{base}/u/{yerzhan_id}")
    assert_fits(page)
    page.click("section.profile-messages a.button")
    page.wait_for_load_state()
    assert_fits(page)
    assert page.locator("input[name=to]:checked").count() == 1
    assert "Алушылар" in page.inner_text("legend")  # the Kazakh interface
    page.fill("input[name=subject]", "Ашық сабаққа шақыру")
    page.fill("textarea[name=body]", f"Ержан, бейсенбіге келесіз бе? {LONG_WORD}")
    page.click("button[name=send]")
    page.wait_for_load_state()
    assert "Ашық сабаққа шақыру" in page.inner_text("h1.conversation-subject")
    assert_fits(page)
    browser_logout(page, base)

    browser_login(page, base, yerzhan)
    page.goto(f"{base}/")
    widget = page.locator("section.messages-widget a")
    assert "1 оқылмаған жеке хабарлама" in widget.inner_text()
    widget.click()
    page.wait_for_load_state()
    assert_fits(page)
    assert page.locator("li.conversation.unread .unread-count").count() == 1
    page.click("li.conversation a.title")
    page.wait_for_load_state()
    assert_fits(page)
    assert "бейсенбіге келесіз бе?" in page.inner_text("article.message")
    page.fill("textarea[name=body]", "Иә, міндетті түрде келемін.")
    page.locator("form.reply button").click()
    page.wait_for_load_state()
    assert page.locator("article.message").count() == 2
    assert_fits(page)
    page.goto(f"{base}/forum/messages")
    assert page.locator("li.conversation.unread").count() == 0
    browser_logout(page, base)

    browser_login(page, base, dana)
    page.goto(f"{base}/forum/messages")
    assert page.locator("li.conversation.unread").count() == 1
    page.click("li.conversation a.title")
    page.wait_for_load_state()
    assert "Иә, міндетті түрде келемін." in page.inner_text("main")
