"""The core journey in Chromium, in Kazakh: a teacher registers (and opens the emailed
confirmation link), finds the district network in the directory, asks to join; the leader
approves; the new member is notified and sees the association page with its member list.

Selectors are stable attributes (name, id, href, form action); language is proven by the
``lang`` attribute, a few Kazakh interface texts, place names shown in their Kazakh form, and
the locale the new account stores.
"""

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Association, District, JoinRequest, Membership, School, User
from core.testing_browser import browser_confirm_registration, browser_login

pytestmark = pytest.mark.browser

SLUG = "ayagoz-zheli"
APPLICANT = "Айгүл Серікқызы Нұрланова"
APPLICANT_EMAIL = "aigul@example.kz"


@pytest.fixture
def live_app(make_app):
    """The core alone: the journey must not depend on any plugin."""
    return make_app(plugins="", file_db=True)


def seed(factory):
    region = factory.region(
        code="abai", name_kk="Абай облысы", name_ru="Абайская область", name_en="Abai Region"
    )
    district = District(
        region_id=region.id,
        name_kk="Аягөз ауданы",
        name_ru="Аягозский район",
        name_en="Ayagoz District",
    )
    db.session.add(district)
    db.session.flush()
    school = School(
        name="Тарбағатай ауылының мектебі", region_id=region.id, district_id=district.id
    )
    db.session.add(school)
    db.session.commit()
    network = factory.association(
        slug=SLUG,
        name_kk="Аягөз ауылдық мектептер желісі",
        name_ru="Сеть сельских школ Аягоза",
        abbr_kk="ААМЖ",
        kind="network",
        level="district",
        join_policy="request",
        region_id=region.id,
        district_id=district.id,
        topic_kk="Шағын жинақты мектептерде функционалдық сауаттылық",
    )
    factory.association(slug="other", name_kk="Жас мұғалімдер клубы", region_id=region.id)
    leader = factory.member(
        network, factory.user(email="leader@example.kz", full_name="Болат Жетекшіұлы"), "leader"
    )
    return region.id, district.id, school.id, leader.email


def test_register_find_ask_approve_and_see_the_members(live_server, page, factory):
    with live_server.app.app_context():
        region_id, district_id, school_id, leader_email = seed(factory)
    base = live_server.url

    # 1. Register, in Kazakh (the browser asks for kk-KZ).
    page.goto(base + "/register")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("main h1").inner_text() == "Тіркелгі ашу"  # "Create an account"
    region_select = page.locator("select[name=region]")
    assert "Абай облысы" in region_select.inner_text()
    assert "Абайская область" not in region_select.inner_text()
    page.fill("input[name=email]", APPLICANT_EMAIL)
    page.fill("input[name=password]", "qauym-pass-2026")
    page.fill("input[name=confirm]", "qauym-pass-2026")
    page.fill("input[name=full_name]", APPLICANT)
    region_select.select_option(str(region_id))
    page.select_option("select[name=district]", str(district_id))
    page.select_option("select[name=school]", str(school_id))
    page.select_option("select[name=category]", "moderator")
    page.fill("input[name=experience_years]", "6")
    page.locator("main form.stack button:not([name=step])").click()
    page.wait_for_load_state()
    browser_confirm_registration(page, live_server, APPLICANT_EMAIL)
    page.click("header.site details.menu summary")  # the menu is one button on a phone
    assert page.locator("header.site .account").get_by_text(APPLICANT).is_visible()

    # 2. Find the district network in the directory.
    page.click("header.site a[href='/associations']")
    page.fill("#q", "желі")
    page.select_option("#region", "abai")
    page.locator("main form.filters button").click()
    page.wait_for_load_state()
    listed = page.locator("main ul.directory a[href^='/a/']")
    assert listed.count() == 1
    assert "Абай облысы, Аягөз ауданы" in page.locator("main ul.directory").inner_text()
    listed.first.click()
    page.wait_for_url(f"**/a/{SLUG}")

    # 3. Ask to join, with a message.
    page.fill("#join textarea[name=message]", "Шағын мектепте бастауыш сынып мұғалімімін.")
    page.locator(f"#join form[action='/a/{SLUG}/join'] button").click()
    page.wait_for_load_state()
    assert page.locator(f"#join form[action='/a/{SLUG}/join/cancel']").is_visible()
    assert page.locator("p.flash").inner_text() == "Өтініміңіз жетекшілерге жіберілді."
    assert page.locator(f"a[href='/a/{SLUG}/members']").count() == 0  # not a member yet

    # 4. The leader approves.
    page.context.clear_cookies()
    browser_login(page, base, leader_email)
    page.goto(f"{base}/a/{SLUG}")
    page.click(f"nav.tabs a[href='/a/{SLUG}/requests']")
    request_item = page.locator("ul.requests li", has_text=APPLICANT)
    assert "Шағын мектепте бастауыш сынып мұғалімімін." in request_item.inner_text()
    request_item.locator("form[action$='/approve'] button").click()
    page.wait_for_load_state()
    assert page.locator("ul.requests li", has_text=APPLICANT).count() == 0

    # 5. The new member is notified and sees the association with its member list.
    page.context.clear_cookies()
    browser_login(page, base, APPLICANT_EMAIL, "qauym-pass-2026")
    # On a phone the unread count shows on the menu button itself.
    assert page.locator("header.site details.menu summary .badge").inner_text() == "1"
    page.goto(f"{base}/a/{SLUG}")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator(f"#join form[action='/a/{SLUG}/leave']").is_visible()
    assert page.locator("#member-count").inner_text() == "2"
    members_tab = page.locator(f"nav.tabs a[href='/a/{SLUG}/members']")
    assert members_tab.inner_text().startswith("Мүшелер")  # "Members"
    members_tab.click()
    members = page.locator("table.members").inner_text()
    assert APPLICANT in members and "Болат Жетекшіұлы" in members

    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == APPLICANT_EMAIL))
        assert user.locale == "kk"  # registered in Kazakh, and keeps it
        network = db.session.scalar(select(Association).where(Association.slug == SLUG))
        assert (
            db.session.scalar(
                select(Membership.role).where(
                    Membership.user_id == user.id, Membership.association_id == network.id
                )
            )
            == "member"
        )
        assert (
            db.session.scalar(select(JoinRequest.status).where(JoinRequest.user_id == user.id))
            == "approved"
        )
