"""Issue 15, in Chromium on a 390 px phone with the Kazakh interface: a member writing a reply
gets @mention suggestions under the text box (keyboard and tap), quotes a selection of a post
with the "Quote" button, and sends the reply; the mention links to the profile. Every page
of the journey must fit the screen."""

from __future__ import annotations

import pytest

from core.testing_browser import assert_fits, browser_login
from plugins.forum.tests.forumkit import topic, world

pytestmark = pytest.mark.browser

SELECT_FIRST_LINE = """() => {
  const p = document.querySelector("article.post .body p");
  const range = document.createRange();
  range.setStart(p.firstChild, 0);
  range.setEnd(p.firstChild, "Бірінші сөйлем".length);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
}"""


def test_mention_suggestions_and_quoting_a_selection_on_a_phone(
    live_app, live_server, page, factory
):
    with live_app.app_context():
        w = world(factory)
        t = topic(w.public, w.leader, title="Ашық сабақ", body="Бірінші сөйлем. Екінші сөйлем.")
        dana, topic_id, leader_id = w.member.email, t.id, w.leader.id
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, base, dana)
    page.goto(f"{base}/forum/t/{topic_id}")
    assert_fits(page)
    box = page.locator("#reply textarea[name=body]")

    # Keyboard: "@ай" lists Айгүл Серікова; Enter inserts her handle.
    box.click()
    box.press_sequentially("Сәлем, @ай")
    option = page.locator("ul.mention-list li").first
    option.wait_for(state="visible")
    assert "@aigul_serikova" in option.inner_text()
    assert "Айгүл Серікова" in option.inner_text()
    assert_fits(page)
    box.press("Enter")
    assert box.input_value() == "Сәлем, @aigul_serikova "
    assert page.locator("ul.mention-list").is_hidden()

    # Touch: "@мар" and a tap on Марат Оспанов.
    box.press_sequentially("және @мар")
    option = page.locator("ul.mention-list li", has_text="@marat_ospanov")
    option.wait_for(state="visible")
    option.click()
    assert box.input_value() == "Сәлем, @aigul_serikova және @marat_ospanov "

    # A selection inside the post shows "Дәйексөз"; it quotes the selection with its author.
    page.evaluate(SELECT_FIRST_LINE)
    button = page.locator("button.quote-selection")
    button.wait_for(state="visible")
    assert button.inner_text() == "Дәйексөз"
    assert_fits(page)
    button.click()
    value = box.input_value()
    assert value.startswith("Сәлем, @aigul_serikova және @marat_ospanov\n\n> **Айгүл Серікова** [")
    assert "** [жазды](/forum/p/" in value
    assert "\n> Бірінші сөйлем\n\n" in value
    assert button.is_hidden()

    page.locator("#reply form > p button").first.click()
    page.wait_for_load_state()
    assert_fits(page)
    last = page.locator("article.post").last
    assert last.locator("blockquote").inner_text().strip().endswith("Бірінші сөйлем")
    assert last.locator(f'a.mention[href="/u/{leader_id}"]').count() == 1
