"""Registration, log in and out, profile page and editing, password change, through HTTP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import District, OutboxEmail, School, Subject, User


@pytest.fixture
def app(make_app):
    """The core with only the sample plugin (tests/plugin_site): a known set of plugins."""
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


@pytest.fixture
def places(factory):
    """Two regions with a district each, a school in each district, and two subjects."""
    kst = factory.region(
        "kostanay",
        name_kk="Қостанай облысы",
        name_ru="Костанайская область",
        name_en="Kostanay region",
    )
    ala = factory.region(
        "almaty", name_kk="Алматы облысы", name_ru="Алматинская область", name_en="Almaty region"
    )
    d_kst = District(
        region_id=kst.id,
        name_kk="Қостанай ауданы",
        name_ru="Костанайский район",
        name_en="Kostanay district",
    )
    d_ala = District(
        region_id=ala.id,
        name_kk="Талғар ауданы",
        name_ru="Талгарский район",
        name_en="Talgar district",
    )
    db.session.add_all([d_kst, d_ala])
    db.session.flush()
    s_kst = School(name="Заречный ОМ", region_id=kst.id, district_id=d_kst.id)
    s_ala = School(name="Талғар №1 мектебі", region_id=ala.id, district_id=d_ala.id)
    math = Subject(code="math", name_kk="Математика", name_ru="Математика", name_en="Mathematics")
    phys = Subject(code="physics", name_kk="Физика", name_ru="Физика", name_en="Physics")
    db.session.add_all([s_kst, s_ala, math, phys])
    db.session.commit()
    return {
        "kst": kst,
        "ala": ala,
        "d_kst": d_kst,
        "d_ala": d_ala,
        "s_kst": s_kst,
        "s_ala": s_ala,
        "math": math,
        "phys": phys,
    }


def form_data(places, **over):
    data = {
        "full_name": "Әсел Нұрланқызы",
        "email": "Asel@Example.KZ",
        "password": "qwerty123",
        "confirm": "qwerty123",
        "region": str(places["kst"].id),
        "district": str(places["d_kst"].id),
        "school": str(places["s_kst"].id),
        "new_school": "",
        "subjects": [str(places["math"].id), str(places["phys"].id)],
        "category": "moderator",
        "experience_years": "7",
        "locale": "kk",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def confirm_link(email: str) -> str:
    """The link of the confirmation email sent to ``email``."""
    mail = db.session.scalar(
        select(OutboxEmail)
        .where(OutboxEmail.to == email, OutboxEmail.kind == "core.register_confirm")
        .order_by(OutboxEmail.id.desc())
    )
    assert mail is not None, f"no confirmation email to {email}"
    return re.search(r"http://localhost(/register/confirm/\S+)", mail.body).group(1)


def register(client, post, data, url="/register"):
    """Register and open the emailed confirmation link: the response of confirming."""
    sent = post(client, url, data)
    assert sent.status_code == 200 and "/register/confirm" not in sent.get_data(as_text=True)
    link = confirm_link(data["email"].lower())
    assert client.get(link).status_code == 200
    return post(client, link, {})


def test_register_page_groups_districts_by_region_and_lists_categories(client, places):
    html = client.get("/register", headers={"Accept-Language": "en"}).get_data(as_text=True)
    district_select = re.search(r'<select id="district".*?</select>', html, re.S).group(0)
    group = re.search(r'<optgroup label="Kostanay region">(.*?)</optgroup>', district_select)
    assert group, district_select
    assert f'value="{places["d_kst"].id}"' in group.group(1)
    assert f'value="{places["d_ala"].id}"' not in group.group(1)
    school_select = re.search(r'<select id="school".*?</select>', html, re.S).group(0)
    assert '<optgroup label="Talgar district (Almaty region)">' in school_select
    for label in ("No category yet", "Pedagogue-moderator", "Pedagogue-master"):
        assert label in html
    assert len(re.findall(r'<input[^>]*name="subjects"[^>]*type="checkbox"', html)) == 2


def test_register_logs_in_and_stores_everything(client, post, places):
    resp = register(client, post, form_data(places))
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "asel@example.kz"))
    assert user is not None
    assert resp.headers["Location"].endswith("/welcome")  # first steps
    assert user.full_name == "Әсел Нұрланқызы"
    assert (user.region_id, user.district_id, user.school_id) == (
        places["kst"].id,
        places["d_kst"].id,
        places["s_kst"].id,
    )
    assert {s.code for s in user.subjects} == {"math", "physics"}
    assert (user.category, user.experience_years, user.locale) == ("moderator", 7, "kk")
    assert user.password_hash.startswith("scrypt:") and user.check_password("qwerty123")
    assert user.handle == "asel_nurlanqyzy"  # a handle from the name, for @mentions
    # Logged in by the confirmation: the private profile (with the email) and log-out show.
    page = client.get(f"/u/{user.id}").get_data(as_text=True)
    assert "asel@example.kz" in page and "/logout" in page


def test_register_with_a_new_school_creates_it_in_the_district(client, post, places):
    resp = post(client, "/register", form_data(places, school="", new_school="  Жаңа   мектеп "))
    assert resp.status_code == 200
    user = db.session.scalar(select(User).where(User.email == "asel@example.kz"))
    assert user.school.name == "Жаңа мектеп"
    assert (user.school.region_id, user.school.district_id) == (
        places["kst"].id,
        places["d_kst"].id,
    )
    # A colleague typing the same name (other case) joins that school instead of a duplicate.
    client2 = client.application.test_client()
    post(
        client2,
        "/register",
        form_data(places, email="b@example.kz", school="", new_school="жаңа мектеп"),
    )
    other = db.session.scalar(select(User).where(User.email == "b@example.kz"))
    assert other.school_id == user.school_id


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"password": "short", "confirm": "short"}, "password", "at least 8"),
        ({"confirm": "different1"}, "confirm", "passwords differ"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"full_name": "  "}, "full_name", "full name"),
        ({"experience_years": "61"}, "experience_years", "from 0 to 60"),
        ({"experience_years": "-1"}, "experience_years", "from 0 to 60"),
        ({"region": ""}, "region", "Choose your region"),
        ({"district": ""}, "district", "Choose your district"),
        # The lists offer only the chosen region's districts and schools (issue 15), so one
        # from another region is not among the choices.
        ({"district": "d_ala"}, "district", "Choose a district from the list"),
        ({"school": "s_ala"}, "school", "Choose a school from the list"),
        ({"school": ""}, "school", "Choose your school or type"),
        ({"new_school": "Другая школа"}, "new_school", "not both"),
        ({"category": "grandmaster"}, "category", "Choose a category"),
        ({"subjects": ["99999"]}, "subjects", "Choose subjects"),
    ],
)
def test_register_errors_per_field_keep_input_and_store_nothing(
    client, post, places, over, field, message
):
    over = {
        k: (str(places[v].id) if isinstance(v, str) and v in places else v) for k, v in over.items()
    }
    before = (user_count(), db.session.scalar(select(func.count(School.id))))
    resp = post(client, "/register", form_data(places, **over), headers={"Accept-Language": "en"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    err = re.search(rf'id="{field}-err">([^<]*)<', html) or re.search(
        r'<fieldset class="field has-error">.*?<p class="error">([^<]*)<', html, re.S
    )
    assert err and message.lower() in err.group(1).lower(), (field, html[:3000])
    assert (user_count(), db.session.scalar(select(func.count(School.id)))) == before
    # What was typed is kept, passwords are not.
    if field != "full_name":
        assert 'value="Әсел Нұрланқызы"' in html
    assert "qwerty123" not in html
    if field != "subjects":
        assert re.search(
            rf'<input checked[^>]*name="subjects"[^>]*value="{places["math"].id}"', html
        )
    if field not in ("region", "district"):
        assert f'<option selected value="{places["kst"].id}">' in html
    if field == "new_school":
        assert 'value="Другая школа"' in html


def test_register_errors_in_the_visitors_language(client, post, places):
    """Kazakh by default, Russian when the browser asks for it: the message is the
    catalog's translation for that language."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    for headers, lang in (({}, "kk"), ({"Accept-Language": "ru-RU,ru;q=0.9"}, "ru")):
        resp = post(client, "/register", form_data(places, email="bad"), headers=headers)
        assert resp.status_code == 400
        html = resp.get_data(as_text=True)
        with force_locale(lang):
            expected = _("Enter a valid email address.")
        assert f'lang="{lang}"' in html
        assert f'<p class="error" id="email-err">{expected}</p>' in html


def test_email_is_unique_ignoring_case(client, post, places, factory):
    """An existing email is not refused on the page (that would reveal it): see
    tests/test_accounts_hardening.py for what its owner receives."""
    factory.user(email="asel@example.kz")
    resp = post(
        client,
        "/register",
        form_data(places, email="ASEL@example.kz"),
        headers={"Accept-Language": "en"},
    )
    assert resp.status_code == 200
    assert "already exists" not in resp.get_data(as_text=True)
    assert user_count() == 1


def test_login_and_logout(client, post, factory):
    user = factory.user(email="teacher@example.kz")
    bad = post(
        client,
        "/login",
        {"email": "teacher@example.kz", "password": "wrong-one"},
        headers={"Accept-Language": "en"},
    )
    assert bad.status_code == 200 and "Wrong email or password" in bad.get_data(as_text=True)
    ok = post(client, "/login", {"email": "Teacher@Example.kz", "password": "password123"})
    assert ok.status_code == 302
    assert client.get("/notifications").status_code == 200
    # Logging out needs a POST with CSRF; a GET does nothing.
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert post(client, "/logout").status_code == 302
    assert client.get("/notifications").status_code == 302
    assert user.active


def test_login_is_rate_limited(make_app, post, factory):
    app = make_app(plugins="sample", RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        factory.user(email="t@example.kz")
        client = app.test_client()
        codes = [
            post(client, "/login", {"email": "t@example.kz", "password": "wrong-pass"}).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        # The page itself stays reachable.
        assert client.get("/login").status_code == 200


def test_profile_is_public_but_email_private(client, login, factory, places):
    a = factory.association(slug="shyn", name_kk="Шың желісі")
    b = factory.association(slug="damu", name_kk="Даму ӘБ")
    owner = factory.user(
        email="owner@example.kz",
        full_name="Ерлан Сапаров",
        region_id=places["kst"].id,
        district_id=places["d_kst"].id,
        school_id=places["s_kst"].id,
        category="master",
        experience_years=12,
    )
    owner.subjects = [places["math"]]
    db.session.commit()
    factory.member(a, owner, role="leader")
    factory.member(b, owner, role="participant")
    stranger = factory.user()
    admin = factory.user(is_site_admin=True)

    html = client.get(f"/u/{owner.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # Anonymous visitors see the name alone (tests/test_profile_privacy.py has the full rule).
    assert "Ерлан Сапаров" in html and "Заречный ОМ" not in html and "Шың желісі" not in html
    login(client, admin)
    html = client.get(f"/u/{owner.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for text in (
        "Ерлан Сапаров",
        "Заречный ОМ",
        "Kostanay region",
        "Kostanay district",
        "Mathematics",
        "Pedagogue-master",
        "12 years",
        "Шың желісі",
        "Leader",
        "Даму ӘБ",
        "Participant",
    ):
        assert text in html, text
    login(client, stranger)
    assert "owner@example.kz" not in client.get(f"/u/{owner.id}").get_data(as_text=True)
    login(client, admin)
    assert "owner@example.kz" in client.get(f"/u/{owner.id}").get_data(as_text=True)
    login(client, owner)
    assert "owner@example.kz" in client.get(f"/u/{owner.id}").get_data(as_text=True)


def test_profile_of_missing_or_inactive_user_is_404(client, factory):
    gone = factory.user(active=False)
    assert client.get(f"/u/{gone.id}").status_code == 404
    assert client.get("/u/999999").status_code == 404


def test_profile_shows_plugin_sections(app, client, factory):
    from core import hookimpl
    from core.plugin_api import SlotContent

    class Section:
        @hookimpl
        def template_slot(self, slot, context):
            if slot == "profile.sections":
                return SlotContent(f"<p>section for {context['profile_user'].id}</p>")
            return None

    user = factory.user()
    pm = app.extensions["qauym_plugins"].pm
    pm.register(Section(), name="section_test")
    try:
        assert f"section for {user.id}" in client.get(f"/u/{user.id}").get_data(as_text=True)
    finally:
        pm.unregister(name="section_test")


def test_profile_edit(client, post, login, factory, places):
    user = factory.user(
        email="me@example.kz",
        region_id=places["kst"].id,
        district_id=places["d_kst"].id,
        school_id=places["s_kst"].id,
    )
    login(client, user)
    form = client.get("/profile/edit").get_data(as_text=True)
    assert 'value="me@example.kz"' in form
    assert f'<option selected value="{places["s_kst"].id}"' in form

    data = form_data(
        places,
        email="me@example.kz",
        full_name="Жаңа Аты",
        region=str(places["ala"].id),
        district=str(places["d_ala"].id),
        school=str(places["s_ala"].id),
        subjects=[str(places["phys"].id)],
        category="expert",
        experience_years="3",
        locale="ru",
        password=None,
        confirm=None,
    )
    resp = post(client, "/profile/edit", data)
    assert resp.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.full_name, user.school_id, user.category, user.experience_years, user.locale) == (
        "Жаңа Аты",
        places["s_ala"].id,
        "expert",
        3,
        "ru",
    )
    assert [s.code for s in user.subjects] == ["physics"]
    # The saved language is used from now on.
    assert 'lang="ru"' in client.get(f"/u/{user.id}").get_data(as_text=True)


def test_changing_email_needs_the_current_password(client, post, login, factory, places):
    user = factory.user(
        email="me@example.kz",
        region_id=places["kst"].id,
        district_id=places["d_kst"].id,
        school_id=places["s_kst"].id,
    )
    factory.user(email="taken@example.kz")
    login(client, user)
    base = form_data(places, password=None, confirm=None, locale="en")
    for over, message in [
        ({"email": "new@example.kz"}, "Enter your current password"),
        ({"email": "new@example.kz", "current_password": "nope-nope"}, "current password is wrong"),
        ({"email": "TAKEN@example.kz", "current_password": "password123"}, "already exists"),
    ]:
        resp = post(client, "/profile/edit", {**base, **over}, headers={"Accept-Language": "en"})
        assert resp.status_code == 400
        assert message in resp.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(User, user.id).email == "me@example.kz"
        assert db.session.get(User, user.id).full_name != base["full_name"]
    resp = post(
        client,
        "/profile/edit",
        {**base, "email": "New@Example.kz", "current_password": "password123"},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "new@example.kz"


def test_change_password(client, post, login, factory):
    user = factory.user()
    login(client, user)
    wrong = post(
        client,
        "/profile/password",
        {"current_password": "bad-bad-bad", "password": "newpass123", "confirm": "newpass123"},
        headers={"Accept-Language": "en"},
    )
    assert wrong.status_code == 400 and "current password is wrong" in wrong.get_data(as_text=True)
    ok = post(
        client,
        "/profile/password",
        {"current_password": "password123", "password": "newpass123", "confirm": "newpass123"},
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("newpass123")


def test_account_pages_need_login(client):
    for path in (
        "/profile/edit",
        "/profile/password",
        "/notifications",
        "/notifications/preferences",
    ):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path


def test_register_shows_every_mistake_at_once(client, post, places):
    data = form_data(places, region="", district="", school="", email="x", confirm="other-123")
    html = post(client, "/register", data, headers={"Accept-Language": "en"}).get_data(as_text=True)
    for field in ("email", "confirm", "region", "school"):
        assert f'id="{field}-err"' in html, field
    assert user_count() == 0


def test_register_returns_to_the_page_that_sent_the_visitor(client, post, places):
    login_page = client.get("/login?next=/a/shyn").get_data(as_text=True)
    assert "/register?next=/a/shyn" in login_page or "/register?next=%2Fa%2Fshyn" in login_page
    resp = register(client, post, form_data(places), url="/register?next=/a/shyn")
    assert resp.status_code == 302 and resp.headers["Location"] == "/a/shyn"
    client2 = client.application.test_client()
    evil = register(
        client2, post, form_data(places, email="e@example.kz"), url="/register?next=//evil.example"
    )
    assert evil.headers["Location"] == "/"


def test_own_profile_links_to_my_certificates(client, factory, login):
    user = factory.user()
    other = factory.user()
    login(client, user)
    assert "/certificates" in client.get(f"/u/{user.id}").get_data(as_text=True)
    assert 'href="/certificates"' not in client.get(f"/u/{other.id}").get_data(as_text=True)
