"""The main journey in Chromium: submit with a file, screen, assign two experts, two rubric
reviews, a minor revision, resubmission, recommendation, and the library page with both signed
reviews. Selectors use names and data attributes, so the journey runs in Kazakh."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from core.extensions import db
from core.testing_browser import browser_login
from plugins.expertise.tests.conftest import PDF, build_world

pytestmark = pytest.mark.browser


def _as(page, base, email):
    page.context.clear_cookies()
    browser_login(page, base, email)


def _step(page, action):
    """Press a workflow button and wait for the page that confirms it."""
    page.click(f"button[data-action={action}]")
    # The next page no longer offers the step just taken.
    expect(page.locator(f"button[data-action={action}]")).to_have_count(0)


def _review(page, base, sub_url, expert, recommendation, text):
    _as(page, base, expert)
    page.goto(sub_url)
    page.click("form[action$='/accept'] button")
    page.wait_for_url("**/review")
    for fieldset in page.locator("form.xp-crit fieldset").all():
        fieldset.locator("input[type=radio]").last.check()
    page.check(f"input[name=recommendation][value={recommendation}]")
    page.fill("textarea[name=to_author]", text)
    page.fill("textarea[name=confidential]", "Тек үйлестірушіге")
    page.click("form.xp-crit button")
    page.wait_for_url(sub_url)


def test_submit_review_revise_and_publish(live_server, page, factory):
    base = live_server.url
    with live_server.app.app_context():
        world = build_world(factory)
        world.expert2.full_name = "Сарапшы Екінші"
        db.session.commit()
        # Plain values: the rows are detached once the context ends.
        w = SimpleNamespace(
            subject_id=world.subject.id,
            **{
                role: getattr(world, role).email
                for role in ("author", "coordinator", "expert1", "expert2", "school_expert")
            },
        )

    # The author submits a lesson plan with a file.
    _as(page, base, w.author)
    page.goto(f"{base}/expertise/a/kostanay-math/submit")
    page.fill("input[name=title]", "Бөлшектерді қосу: 5-сынып")
    page.select_option("select[name=material_type]", "lesson_plan")
    page.select_option("select[name=subject_id]", str(w.subject_id))
    page.select_option("select[name=grade_from]", "5")
    page.select_option("select[name=grade_to]", "5")
    page.select_option("select[name=language]", "kk")
    page.fill("textarea[name=abstract]", "Ортақ бөлімге келтіру арқылы бөлшектерді қосу.")
    page.set_input_files(
        "input[name=files]",
        files=[{"name": "sabak.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.click("button[name=send]")
    page.wait_for_url("**/expertise/s/*")
    sub_url = page.url
    assert page.get_by_text("sabak.pdf").is_visible()

    # The coordinator screens it, sends it to review and invites two experts.
    _as(page, base, w.coordinator)
    page.goto(sub_url)
    _step(page, "screen")
    _step(page, "accept")
    page.click("a[href$='/assign']")
    expect(page.locator(f"button[data-expert='{w.expert1}']")).to_be_visible()
    expect(page.locator(f"button[data-expert='{w.school_expert}']")).to_have_count(0)
    page.click(f"button[data-expert='{w.expert1}']")
    expect(page.locator("span[data-status=invited]")).to_have_count(1)
    page.click(f"button[data-expert='{w.expert2}']")
    expect(page.locator("span[data-status=invited]")).to_have_count(2)

    # Both experts accept and review with the rubric.
    _review(page, base, sub_url, w.expert1, "minor_revision", "Саралау жеткіліксіз.")
    _review(page, base, sub_url, w.expert2, "recommended", "Жақсы құрылымдалған сабақ.")

    # The coordinator asks for a minor revision.
    _as(page, base, w.coordinator)
    page.goto(sub_url)
    page.fill("textarea#note-minor", "Саралауды толықтырыңыз.")
    _step(page, "minor")

    # The author resubmits a second version.
    _as(page, base, w.author)
    page.goto(sub_url)
    assert page.get_by_text("Саралау жеткіліксіз.").is_visible()
    page.click("a[href$='/resubmit']")
    page.fill("textarea[name=note]", "Үш деңгейлі тапсырмалар қосылды.")
    page.set_input_files(
        "input[name=files]",
        files=[{"name": "sabak-v2.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.click("main form button")
    expect(page.locator("p.flash.success")).to_be_visible()

    # The coordinator recommends it.
    _as(page, base, w.coordinator)
    page.goto(sub_url)
    _step(page, "recommend")

    # Anyone finds it in the library, with both signed reviews and no confidential note.
    page.context.clear_cookies()
    page.goto(f"{base}/expertise/library")
    page.click("text=Бөлшектерді қосу: 5-сынып")
    page.wait_for_url(sub_url)
    html = page.content()
    assert "Expert One" in html and "Сарапшы Екінші" in html
    assert "Жақсы құрылымдалған сабақ." in html and "Саралау жеткіліксіз." in html
    assert "Тек үйлестірушіге" not in html
    assert "sabak-v2.pdf" in html and "sabak.pdf" in html
