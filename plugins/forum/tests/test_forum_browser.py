"""The main journey in Chromium: a member asks a question with an attachment, another member
quotes and answers it, the author accepts the answer, a moderator locks the topic and moves
the answer to a new topic by its box on the topic page (no script needed)."""

from __future__ import annotations

import pytest

from core.testing_browser import browser_login, browser_logout
from plugins.forum.tests.forumkit import world
from plugins.forum.tests.test_forum_extras import PNG

pytestmark = pytest.mark.browser


def test_question_answer_accept_lock(live_app, live_server, page, factory, tmp_path):
    with live_app.app_context():
        w = world(factory)
        slug, board_id = w.association.slug, w.board.id
        asker, answerer, moderator = w.member.email, w.member2.email, w.moderator.email
    picture = tmp_path / "сызба.png"
    picture.write_bytes(PNG)
    base = live_server.url

    browser_login(page, base, asker)
    page.goto(f"{base}/forum/a/{slug}")
    assert "Сыпайы болыңыз" in page.content()  # the community rules are shown
    page.click(f"a[href='/forum/b/{board_id}']")
    page.click(f"a[href='/forum/b/{board_id}/new']")
    page.fill("input[name=title]", "Жылдық әдістемелік хатты қалай қолданамыз?")
    page.check("input[name=kind][value=question]")
    page.fill("textarea[name=body]", "Биылғы хаттағы бағалау бөлімі түсініксіз.")
    page.set_input_files("input[name=attachments]", str(picture))
    page.get_by_role("button", name="Жариялау").click()  # "Publish"
    page.wait_for_load_state()
    assert "Жылдық әдістемелік хатты қалай қолданамыз?" in page.inner_text("h2.topic-title")
    assert page.locator("ul.attachments img").count() == 1
    topic_url = page.url.split("#")[0]
    browser_logout(page, base)

    browser_login(page, base, answerer)
    page.goto(topic_url)
    page.click("a.quote")
    body = page.locator("textarea[name=body]")
    assert "Биылғы хаттағы бағалау бөлімі түсініксіз." in body.input_value()
    body.press("End")
    body.type("Бағалау критерийлерін бөлім соңындағы кестеден қараңыз.")
    page.locator("form[data-draft-key] button:not([name])").click()
    page.wait_for_load_state()
    assert page.locator("article.post blockquote").count() == 1
    browser_logout(page, base)

    browser_login(page, base, asker)
    page.goto(topic_url)
    page.click("button.accept")
    page.wait_for_load_state()
    # the accepted answer is on this page: the box above the thread leads to it, the text is
    # shown once, in the thread, with its mark
    accepted = page.locator("section.accepted")
    assert accepted.count() == 1 and accepted.locator("a[href^='#p']").count() == 1
    assert "Бағалау критерийлерін" not in accepted.inner_text()
    assert "Бағалау критерийлерін" in page.locator("article.post.accepted").inner_text()
    browser_logout(page, base)

    browser_login(page, base, moderator)
    page.goto(topic_url)
    page.locator("form[action$='/mod/lock'] button").click()
    page.wait_for_load_state()
    assert page.locator("form[action$='/mod/unlock']").count() == 1
    # split: the box beside the answer belongs to the "Split or merge" form below the thread
    page.locator("article.post.accepted input[name=post]").check()
    page.locator("#split-posts button").click()
    page.wait_for_load_state()
    assert page.locator("input[name=post]:checked").count() == 1
    page.fill("input[name=title]", "Бағалау критерийлері туралы")
    page.locator("form.split-form button").click()
    page.wait_for_load_state()
    assert "Бағалау критерийлері туралы" in page.inner_text("h2.topic-title")
    assert "Бағалау критерийлерін" in page.locator("article.post").first.inner_text()
    page.goto(topic_url)
    assert page.locator("article.post").count() == 1
    browser_logout(page, base)
    browser_login(page, base, answerer)
    page.goto(topic_url)
    assert page.locator("textarea[name=body]").count() == 0  # locked: no reply form
    assert page.locator("a.quote").count() == 0
