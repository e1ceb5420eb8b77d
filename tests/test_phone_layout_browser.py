"""On a phone (390 px wide) no page is wider than the screen: long e-mails, meeting links and
tables wrap or scroll inside their own box, and the header menu is one button (no JavaScript)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import demo
from core.extensions import db
from core.models import Membership, Role, User
from core.services.urls import site_request_context
from core.testing_browser import assert_fits, browser_login

pytestmark = pytest.mark.browser

LONG_EMAIL = "aigerim.serikkyzy.kostanay.audany.zarechnyi.mektebi.matematika@demo.qauym.kz"
LONG_LINK = "https://meet.example.kz/" + "kostanai-audandyq-adistemelik-kabinet-" * 6 + "room"


def _build_world(app) -> dict:
    from plugins.forum.models import ForumBoard as Board
    from plugins.masterclasses.models import Event

    with app.app_context():
        ctx = demo.build(echo=lambda _: None)
        demo.build_plans(ctx)
        registry = app.extensions["qauym_plugins"]
        for name in registry.implementers("demo_data"):
            with site_request_context():
                registry.collect("demo_data", plugins=[name], ctx=ctx)
        event = db.session.scalars(select(Event).order_by(Event.id)).first()
        event.delivery = "online"
        event.meeting_url = LONG_LINK
        leader = db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.association_id == event.association_id,
                Membership.role == Role.LEADER.value,
            )
        ).first()
        leader.email = LONG_EMAIL
        board = db.session.scalars(
            select(Board).where(Board.association_id == event.association_id)
        ).first()
        world = {
            "event": event.id,
            "slug": event.association.slug,
            "user": leader.id,
            "board": board.id if board else None,
            "password": ctx.password,
        }
        db.session.commit()
        return world


def _assert_fits(page, url: str) -> None:
    assert_fits(page, url)


def test_pages_fit_a_phone_and_the_menu_works_without_javascript(live_server, page):
    world = _build_world(live_server.app)
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url

    _assert_fits(page, base + "/")
    # The navigation hides behind one button, which opens without JavaScript.
    assert not page.locator("header.site nav.main").is_visible()
    page.click("header.site details.menu summary")
    assert page.locator("header.site a[href='/associations']").is_visible()
    assert page.locator("head meta[name=description]").get_attribute("content")
    assert page.locator("head link[rel=icon]").get_attribute("href").endswith(".svg")

    browser_login(page, base, LONG_EMAIL, world["password"])
    for path in (
        "/",
        "/associations",
        f"/a/{world['slug']}",
        f"/u/{world['user']}",
        f"/masterclasses/{world['event']}",
    ) + ((f"/forum/b/{world['board']}",) if world["board"] else ()):
        _assert_fits(page, base + path)
    page.goto(f"{base}/u/{world['user']}")
    assert LONG_EMAIL in page.content()
    page.goto(f"{base}/masterclasses/{world['event']}")
    assert page.locator("a.meeting-link").count() == 1

    # On a wide screen the menu is a plain bar: no button, the links shown.
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(base + "/associations")
    assert not page.locator("header.site details.menu summary").is_visible()
    assert page.locator("header.site a[href='/associations']").is_visible()
