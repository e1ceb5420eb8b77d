"""Balanced assignment with bids in Chromium on a 390 px phone, in Kazakh: experts bid, the
coordinator runs balanced assignment, swaps an expert in the preview and confirms, and an
expert finds the invitation. Every page of the journey must fit the screen."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from core.extensions import db
from core.models import Role
from core.testing_browser import browser_login
from plugins.expertise import services as svc
from plugins.expertise.models import File, Submission, Version
from plugins.expertise.tests.conftest import _user, build_world
from tests.test_phone_layout_browser import _assert_fits

pytestmark = pytest.mark.browser


def _as(page, base, email):
    page.context.clear_cookies()
    browser_login(page, base, email)


def _in_review(world, title: str) -> Submission:
    sub = Submission(
        association_id=world.association.id,
        author_id=world.author.id,
        title=title,
        material_type="lesson_plan",
        subject_id=world.subject.id,
        grade_from=5,
        grade_to=6,
        language="kk",
        abstract="Ортақ бөлімге келтіру арқылы бөлшектерді қосу, ұзын-ұзын түсіндірмемен.",
        state="in_review",
        round=1,
    )
    version = Version(number=1)
    version.files.append(
        File(path="expertise/none.pdf", original_name="a.pdf", kind="pdf", mime="x", size=1)
    )
    sub.versions.append(version)
    db.session.add(sub)
    db.session.flush()
    return sub


def test_bids_then_balanced_assignment_on_a_phone(live_server, page, factory):
    base = live_server.url
    with live_server.app.app_context(), live_server.app.test_request_context():
        world = build_world(factory)
        e3 = _user(factory, "Сарапшы Үшінші")
        db.session.flush()
        factory.member(world.association, e3, Role.EXPERT)
        a = _in_review(world, "Бөлшектерді қосу: 5-сынып")
        b = _in_review(world, "Пропорция: 6-сынып")
        a.rubric_id = b.rubric_id = svc.default_rubric(world.association).id
        db.session.commit()
        w = SimpleNamespace(
            a=a.id,
            b=b.id,
            e1=world.expert1.id,
            e2=world.expert2.id,
            e3=e3.id,
            **{role: getattr(world, role).email for role in ("coordinator", "expert1", "expert2")},
            expert3=e3.email,
        )
    page.set_viewport_size({"width": 390, "height": 844})
    bids = f"{base}/expertise/a/kostanay-math/bids"

    # Expert Two is eager for A; Expert One is not willing to review B.
    _as(page, base, w.expert2)
    _assert_fits(page, bids)
    page.select_option(f"#bid-value-{w.a}", "eager")
    page.click(f"button[data-bid='{w.a}']")
    expect(page.locator(f"#bid-{w.a} [data-current=eager]")).to_be_visible()
    _as(page, base, w.expert1)
    _assert_fits(page, bids)
    page.select_option(f"#bid-value-{w.b}", "not_willing")
    page.click(f"button[data-bid='{w.b}']")
    expect(page.locator(f"#bid-{w.b} [data-current=not_willing]")).to_be_visible()

    # The coordinator sees the bids and runs balanced assignment.
    _as(page, base, w.coordinator)
    _assert_fits(page, bids)
    balance = f"{base}/expertise/a/kostanay-math/balance"
    _assert_fits(page, balance)
    expect(page.locator(f"#balance-{w.a} [data-proposed='{w.expert2}']")).to_be_visible()
    expect(page.locator(f"#balance-{w.b} [data-proposed='{w.expert1}']")).to_have_count(0)
    # Swap: on A, Expert Three instead of whoever holds the second place.
    selects = page.locator(f"select[name='x-{w.a}']")
    expect(selects).to_have_count(2)
    first = selects.nth(0).input_value()
    second = page.locator(f"select[name='x-{w.a}']").nth(1)
    replaced = second.input_value()
    assert {first, replaced} == {str(w.e1), str(w.e2)}
    second.select_option(str(w.e3))
    page.click("button[data-action=confirm-balance]")
    expect(page.locator("p.flash.success, .flash.success")).to_be_visible()
    _assert_fits(page, page.url)

    # Expert Three finds the invitation to A on the association page and on the material.
    _as(page, base, w.expert3)
    _assert_fits(page, f"{base}/expertise/a/kostanay-math")
    link = page.locator(f"a[href='/expertise/s/{w.a}']").first
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"**/expertise/s/{w.a}")
    expect(page.locator("form[action$='/accept'] button")).to_be_visible()
    _assert_fits(page, page.url)
    with live_server.app.app_context():
        from plugins.expertise.models import Assignment

        invited = set(
            db.session.execute(
                db.select(Assignment.submission_id, Assignment.expert_id).where(
                    Assignment.status == "invited"
                )
            ).all()
        )
    assert (w.a, w.e3) in invited and (w.a, int(first)) in invited
    assert (w.a, int(replaced)) not in invited
    assert (w.b, w.e1) not in invited  # not willing
