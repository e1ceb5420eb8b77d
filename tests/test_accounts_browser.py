"""Registration in Chromium, in Kazakh, on a phone-sized screen: a mistake is shown next to
its field with everything typed kept, then the corrected form sends a
confirmation email whose link logs the teacher in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import District, School, Subject, User
from core.testing_browser import browser_confirm_registration

pytestmark = pytest.mark.browser


@pytest.fixture
def live_app(make_app):
    return make_app(plugins="sample", file_db=True)


def test_register_in_kazakh_with_a_new_school(live_server, page, factory):
    with live_server.app.app_context():
        region = factory.region("kostanay", name_kk="Қостанай облысы")
        district = District(
            region_id=region.id,
            name_kk="Қостанай ауданы",
            name_ru="Костанайский район",
            name_en="-",
        )
        db.session.add(district)
        db.session.add(
            Subject(code="math", name_kk="Математика", name_ru="Математика", name_en="-")
        )
        db.session.commit()
        region_id, district_id = region.id, district.id

    page.goto(live_server.url + "/register")
    assert page.locator("html").get_attribute("lang") == "kk"
    page.fill("input[name=full_name]", "Айгүл Серікқызы")
    page.fill("input[name=email]", "aigul@example.kz")
    page.fill("input[name=password]", "short")
    page.fill("input[name=confirm]", "short")
    page.select_option("select[name=region]", str(region_id))
    page.select_option("select[name=district]", str(district_id))
    page.fill("input[name=new_school]", "Заречный ЖОМ")
    page.check("label:has-text('Математика') input")
    page.select_option("select[name=category]", "moderator")
    page.fill("input[name=experience_years]", "4")
    page.locator("main form button:not([name=step])").click()
    page.wait_for_load_state()

    assert page.locator("#password-err").is_visible()
    assert page.input_value("input[name=full_name]") == "Айгүл Серікқызы"
    assert page.input_value("input[name=new_school]") == "Заречный ЖОМ"
    assert page.is_checked("label:has-text('Математика') input")
    assert page.input_value("input[name=password]") == ""

    page.fill("input[name=password]", "long-enough-1")
    page.fill("input[name=confirm]", "long-enough-1")
    page.locator("main form button:not([name=step])").click()
    page.wait_for_load_state()
    assert page.locator("main h1").inner_text() == "Поштаңызды тексеріңіз"  # "Check your mail"
    browser_confirm_registration(page, live_server, "aigul@example.kz")
    page.wait_for_url("**/welcome")  # suggestions of associations come first (issue 15)
    with live_server.app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == "aigul@example.kz"))
    page.goto(f"{live_server.url}/u/{user_id}")
    assert page.locator("h1").inner_text() == "Айгүл Серікқызы"
    assert page.get_by_text("Заречный ЖОМ").is_visible()
    assert page.get_by_text("aigul@example.kz").is_visible()

    with live_server.app.app_context():
        user = db.session.scalar(select(User).where(User.email == "aigul@example.kz"))
        school = db.session.get(School, user.school_id)
        assert (school.name, school.district_id) == ("Заречный ЖОМ", district_id)
        assert user.locale == "kk"
