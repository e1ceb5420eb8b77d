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


def _menu_pages(page, base: str) -> list[str]:
    """Every page reachable from the menus: the header's links and footer's, the links of the
    home page's main column, and for the first associations listed, their section tabs."""
    page.goto(base + "/")
    found: list[str] = []

    def add(hrefs) -> None:
        for href in hrefs:
            if href and href.startswith("/") and not href.startswith(("/logout", "/static")):
                path = href.split("#")[0]
                if path not in found:
                    found.append(path)

    links = "els => els.map(e => e.getAttribute('href'))"
    add(page.eval_on_selector_all("header.site a, footer.site a, main a", links))
    page.goto(base + "/associations")
    assoc = page.eval_on_selector_all("main a[href^='/a/']", links)[:2]
    add(assoc)
    for href in assoc:
        page.goto(base + href)
        add(page.eval_on_selector_all("nav.tabs a", links))
    return found[:60]


@pytest.mark.parametrize("who", ["anonymous", "shyn_member", "shyn_coordinator"])
def test_every_page_reachable_from_the_menus_fits_a_phone(live_server, page, who):
    """As anonymous, a member and a coordinator, at 390 px: no page is wider than the screen
    (cards for wide tables, long words wrapped)."""
    world = _build_world(live_server.app)
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url
    if who != "anonymous":
        browser_login(page, base, demo.email_for(who), world["password"])
    pages = _menu_pages(page, base)
    assert len(pages) >= 5, pages
    too_wide = []
    for path in pages:
        try:
            _assert_fits(page, base + path)
        except AssertionError as e:
            too_wide.append(str(e))
    assert not too_wide, "\n".join(too_wide)


def test_admin_and_portfolio_tables_are_cards_on_a_phone(live_server, page):
    """At 390 px the site administrator's tables (associations, audit log, plugin switches by
    region and per association) and a portfolio's hours are stacked cards that fit the screen,
    each cell named by its column."""
    world = _build_world(live_server.app)
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url
    browser_login(page, base, demo.email_for("admin"), world["password"])
    # A switch pressed on a card: the audit log has a row to show.
    page.goto(f"{base}/admin/a/{world['slug']}")
    page.locator("main table.stack-table button").first.click()
    page.wait_for_load_state()
    for path in (
        f"/admin/a/{world['slug']}",
        "/admin/associations",
        "/admin/audit",
        "/admin/plugins",
        f"/u/{world['user']}/portfolio",
    ):
        assert_fits(page, base + path)
        table = page.locator("main table.stack-table").first
        assert table.count() == 1, path
        shown = table.evaluate(
            "t => [getComputedStyle(t.querySelector('tbody tr')).display,"
            " getComputedStyle(t.querySelector('thead')).position,"
            " [...t.querySelectorAll('tbody td[data-label]')].length]"
        )
        assert shown[0] == "block" and shown[1] == "absolute" and shown[2] > 0, (path, shown)
    # On a wide screen the same table is a table again.
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(base + "/admin/associations")
    row = page.locator("main table.stack-table tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "table-row"
