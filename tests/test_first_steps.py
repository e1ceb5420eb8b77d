"""First steps of a new teacher: after confirming the email the teacher lands on a page that
suggests associations of their school, district and subjects (with join buttons); a pending
join request shows on the home page; the directory's "district" level finds networks of
schools of one district."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import District, JoinRequest, Membership, Region, School, Subject, User
from core.testing import sign_in_as


@pytest.fixture
def app(make_app):
    app = make_app(plugins="")
    with app.app_context():
        yield app


@pytest.fixture(autouse=True)
def _english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def world(factory):
    region = factory.region(code="kst")
    other_region = factory.region(code="alm")
    district = District(region_id=region.id, name_kk="Қостанай ауданы", name_ru="К", name_en="K")
    other = District(region_id=region.id, name_kk="Сарыкөл", name_ru="С", name_en="S")
    db.session.add_all([district, other])
    db.session.flush()
    school = School(name="Заречный мектебі", region_id=region.id, district_id=district.id)
    math = Subject(code="math", name_kk="Математика", name_ru="Математика", name_en="Maths")
    chem = Subject(code="chem", name_kk="Химия", name_ru="Химия", name_en="Chemistry")
    db.session.add_all([school, math, chem])
    db.session.commit()
    a = {
        "school": factory.association(
            slug="school-ma",
            name_kk="Заречный мектебінің ӘБ",
            level="school",
            region_id=region.id,
            district_id=district.id,
            host_organisation="Заречный мектебі",
        ),
        "other_school": factory.association(
            slug="other-school",
            name_kk="Басқа мектептің ӘБ",
            level="school",
            region_id=region.id,
            host_organisation="Басқа мектеп",
        ),
        "network": factory.association(
            slug="shyn",
            name_kk="ШЫҢ",
            level="network",
            region_id=region.id,
            district_id=district.id,
            join_policy="open",
        ),
        "other_district": factory.association(
            slug="sarykol", name_kk="Сарыкөл", level="district", district_id=other.id
        ),
        "region_math": factory.association(
            slug="kst-math", name_kk="Облыстық математиктер", level="region", region_id=region.id
        ),
        "alm_math": factory.association(
            slug="alm-math",
            name_kk="Алматы математиктері",
            level="region",
            region_id=other_region.id,
        ),
        "chem": factory.association(
            slug="chem", name_kk="Химиктер", level="region", region_id=region.id
        ),
        "invite_only": factory.association(
            slug="closed",
            name_kk="Жабық топ",
            level="district",
            district_id=district.id,
            join_policy="invite",
        ),
    }
    a["region_math"].subjects = [math]
    a["alm_math"].subjects = [math]
    a["chem"].subjects = [chem]
    db.session.commit()
    teacher = factory.user(
        full_name="Жаңа Мұғалім",
        region_id=region.id,
        district_id=district.id,
        school_id=school.id,
    )
    teacher.subjects = [math]
    db.session.commit()
    return {"teacher": teacher, "a": a, "region": region, "district": district}


def _suggested(html: str) -> list[str]:
    part = html.split('id="suggestions"')[1].split("</ul>")[0] if 'id="suggestions"' in html else ""
    return re.findall(r'action="/a/([^/"]+)/join"', part)


def test_welcome_suggests_school_district_and_subject_associations(client, world):
    sign_in_as(client, world["teacher"])
    html = client.get("/welcome").get_data(as_text=True)
    assert _suggested(html) == ["school-ma", "shyn", "kst-math"]
    assert "Your school" in html and "Your district" in html and "Your subjects" in html


def test_joining_from_the_welcome_page_comes_back_to_it(client, world, post):
    sign_in_as(client, world["teacher"])
    resp = post(client, "/a/shyn/join", {"next": "/welcome"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/welcome")
    resp = post(client, "/a/kst-math/join", {"next": "https://evil.example/"})
    assert resp.status_code == 302 and "evil" not in resp.headers["Location"]
    html = client.get("/welcome").get_data(as_text=True)
    assert _suggested(html) == ["school-ma"]  # a member of one, a request sent to the other
    assert (
        db.session.scalar(
            select(Membership).where(Membership.user_id == world["teacher"].id)
        ).association_id
        == world["a"]["network"].id
    )


def test_pending_request_shows_on_the_home_page_and_can_be_withdrawn(client, world, post):
    sign_in_as(client, world["teacher"])
    assert 'id="my-requests"' not in client.get("/").get_data(as_text=True)
    post(client, "/a/kst-math/join", {"message": "Қабылдаңыз"})
    html = client.get("/").get_data(as_text=True)
    part = html.split('id="my-requests"')[1].split("</section>")[0]
    assert "Облыстық математиктер" in part and "waiting for a decision" in part
    resp = post(client, "/a/kst-math/join/cancel", {"next": "/"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/")
    assert 'id="my-requests"' not in client.get("/").get_data(as_text=True)
    assert db.session.scalar(select(JoinRequest.status)) == "cancelled"


def test_confirming_the_email_lands_on_the_welcome_page(client, world, post):
    from core.views.auth import confirm_token

    user = User(email="new@example.kz", full_name="Жаңа", email_confirmed=False)
    user.set_password("password123")
    db.session.add(user)
    db.session.commit()
    resp = post(client, f"/register/confirm/{confirm_token(user)}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/welcome")
    html = client.get("/welcome").get_data(as_text=True)
    assert "No association of your school, district or subjects yet." in html


def test_welcome_needs_login(client, world):
    assert client.get("/welcome").status_code in (302, 401)


def test_district_level_finds_networks_of_one_district(client, world):
    html = client.get("/associations?level=district").get_data(as_text=True)
    assert 'href="/a/shyn"' in html and 'href="/a/sarykol"' in html
    assert 'href="/a/kst-math"' not in html
    html = client.get("/associations?level=network").get_data(as_text=True)
    assert 'href="/a/shyn"' in html and 'href="/a/sarykol"' not in html


# Registration in two steps ---------------------------------------------------------------


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r"<option[^>]*>([^<]+)</option>", select)


def test_registration_narrows_districts_and_schools_to_the_region(client, world, post):
    other = world["region"]
    alm = db.session.scalar(select(Region).where(Region.code == "alm"))
    alm_district = District(region_id=alm.id, name_kk="Медеу", name_ru="Медеу", name_en="M")
    db.session.add(alm_district)
    db.session.flush()
    db.session.add(School(name="Алматы №1 мектеп", region_id=alm.id, district_id=alm_district.id))
    db.session.commit()

    client.set_cookie("lang", "kk")  # places are named in Kazakh
    first = client.get("/register").get_data(as_text=True)
    assert "Медеу" in _options(first, "district") and "Сарыкөл" in _options(first, "district")
    assert 'name="step" value="region"' in first
    assert 'src="/static/register.js"' in first

    typed = {
        "email": "asel@example.kz",
        "password": "secret-pass-1",
        "confirm": "secret-pass-1",
        "full_name": "Әсел Нұрланқызы",
        "region": str(other.id),
        "category": "moderator",
        "experience_years": "4",
        "locale": "kk",
        "step": "region",
    }
    resp = post(client, "/register", typed)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert _options(html, "district") == ["—", "Қостанай ауданы", "Сарыкөл"]
    assert _options(html, "school") == ["—", "Заречный мектебі"]
    # Nothing typed is lost, the passwords included; no error is shown yet.
    for value in ("asel@example.kz", "secret-pass-1", "Әсел Нұрланқызы", 'value="4"'):
        assert value in html, value
    assert 'class="error"' not in html
    assert db.session.scalar(select(User).where(User.email == "asel@example.kz")) is None

    # A district of another region is refused on the final step with a field error.
    final = dict(typed, step="", district=str(alm_district.id))
    resp = post(client, "/register", final)
    assert resp.status_code == 400
    assert 'id="district-err"' in resp.get_data(as_text=True)

    final["district"] = str(world["district"].id)
    final["school"] = str(world["teacher"].school_id)
    resp = post(client, "/register", final)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "asel@example.kz"))
    assert (user.region_id, user.district_id) == (other.id, world["district"].id)


def test_registration_step_with_odd_region_values_shows_all(client, world, post):
    client.set_cookie("lang", "kk")
    for value in ("", "abc", "999999", "-1", str(2**70)):
        resp = post(client, "/register", {"region": value, "step": "region"})
        assert resp.status_code == 200
        assert "Сарыкөл" in _options(resp.get_data(as_text=True), "district")
    assert client.get("/register?region=abc").status_code == 200
    html = client.get(f"/register?region={world['region'].id}").get_data(as_text=True)
    assert "Сарыкөл" in _options(html, "district")
