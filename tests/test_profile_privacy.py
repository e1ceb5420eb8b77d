"""Privacy of teachers' personal data: school, district, category, experience and memberships
are shown to members of the same associations and administrators, to every signed-in user
when the teacher makes the profile public, and never to anonymous visitors (the name alone).
The same rule holds on member lists, search results and the participants CSV."""

from __future__ import annotations

import pytest

from core.extensions import db
from core.models import District, RegionAdmin, School, User
from core.testing import sign_in_as

SCHOOL = "Сарыкөл ауданының №7 мектеп-гимназиясы"


@pytest.fixture
def app(make_app):
    app = make_app(plugins="masterclasses")
    with app.app_context():
        yield app


@pytest.fixture(autouse=True)
def _english(client):
    client.set_cookie("lang", "en")


@pytest.fixture
def world(factory):
    region = factory.region(code="kst")
    district = District(region_id=region.id, name_kk="Сарыкөл", name_ru="Сарыколь", name_en="S")
    db.session.add(district)
    db.session.flush()
    school = School(name=SCHOOL, region_id=region.id, district_id=district.id)
    db.session.add(school)
    db.session.commit()
    teacher = factory.user(
        full_name="Әлия Сейітова",
        region_id=region.id,
        district_id=district.id,
        school_id=school.id,
        category="expert",
        experience_years=17,
    )
    a = factory.association(slug="math", name_kk="Математиктер қауымы")
    factory.member(a, teacher, role="member")
    co_member = factory.member(a, role="member")
    stranger = factory.user(full_name="Бөгде Адам")
    admin = factory.user(full_name="Әкімші", is_site_admin=True)
    region_admin = factory.user(full_name="Облыс әкімшісі")
    db.session.add(RegionAdmin(user_id=region_admin.id, region_id=region.id))
    db.session.commit()
    return {
        "teacher": teacher,
        "co_member": co_member,
        "stranger": stranger,
        "admin": admin,
        "region_admin": region_admin,
        "association": a,
    }


DETAILS = (SCHOOL, "Сарыкөл", "17 years", "Математиктер қауымы", "Pedagogue-expert")


def _profile(client, world, who):
    if who is not None:
        sign_in_as(client, world[who])
    resp = client.get(f"/u/{world['teacher'].id}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("who", ["teacher", "co_member", "admin", "region_admin"])
def test_profile_details_shown_to_the_teacher_co_members_and_admins(client, world, who):
    html = _profile(client, world, who)
    assert "Әлия Сейітова" in html
    for text in DETAILS:
        assert text in html, (who, text)


@pytest.mark.parametrize("who", [None, "stranger"])
def test_profile_shows_the_name_alone_to_anonymous_and_strangers(client, world, who):
    html = _profile(client, world, who)
    assert "Әлия Сейітова" in html
    for text in DETAILS:
        assert text not in html, (who, text)
    assert 'id="profile-private"' in html


def test_public_profile_is_shown_to_strangers_but_not_to_anonymous(app, client, world, post):
    teacher = world["teacher"]
    sign_in_as(client, teacher)
    form = client.get("/profile/edit").get_data(as_text=True)
    assert 'name="profile_public"' in form
    data = {
        "full_name": teacher.full_name,
        "region": str(teacher.region_id),
        "district": str(teacher.district_id),
        "school": str(teacher.school_id),
        "category": "expert",
        "experience_years": "17",
        "locale": "en",
        "email": teacher.email,
        "profile_public": "y",
    }
    resp = post(client, "/profile/edit", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, teacher.id).profile_public is True

    stranger = app.test_client()
    stranger.set_cookie("lang", "en")
    sign_in_as(stranger, world["stranger"])
    html = stranger.get(f"/u/{teacher.id}").get_data(as_text=True)
    for text in DETAILS:
        assert text in html, text

    anonymous = app.test_client()
    anonymous.set_cookie("lang", "en")
    html = anonymous.get(f"/u/{teacher.id}").get_data(as_text=True)
    for text in DETAILS:
        assert text not in html, text

    # Unticking makes it private again.
    data.pop("profile_public")
    assert post(client, "/profile/edit", data).status_code == 302
    html = stranger.get(f"/u/{teacher.id}").get_data(as_text=True)
    assert SCHOOL not in html


@pytest.mark.parametrize(
    ("who", "shown"),
    [("stranger", False), ("co_member", True), ("teacher", True), ("admin", True)],
)
def test_search_results_show_the_school_only_to_who_may_see_it(client, world, who, shown):
    sign_in_as(client, world[who])
    html = client.get("/search?q=Сейітова").get_data(as_text=True)
    assert "Сейітова" in html
    assert (SCHOOL in html) is shown


def test_search_lists_no_people_for_anonymous(client, world):
    html = client.get("/search?q=Сейітова").get_data(as_text=True)
    assert f'href="/u/{world["teacher"].id}"' not in html


def test_member_list_keeps_to_members_and_admins(client, world):
    slug = world["association"].slug
    assert client.get(f"/a/{slug}/members").status_code in (302, 401)
    sign_in_as(client, world["stranger"])
    assert client.get(f"/a/{slug}/members").status_code == 403
    sign_in_as(client, world["co_member"])
    html = client.get(f"/a/{slug}/members").get_data(as_text=True)
    assert "Әлия Сейітова" in html and SCHOOL in html


def test_participants_csv_hides_schools_of_people_outside_the_hosts_associations(
    client, world, factory
):
    """A host downloads the participants of an open event: the school of a registrant who
    shares no association with the host (and keeps the profile private) is left empty."""
    from core.timeutil import utcnow
    from plugins.masterclasses.models import Event, Registration

    a = world["association"]
    host = factory.member(a, role="leader")
    outsider_school = School(name="Бөгде мектеп", region_id=world["teacher"].region_id)
    db.session.add(outsider_school)
    db.session.flush()
    outsider = factory.user(full_name="Сырттан Келген", school_id=outsider_school.id)
    public = factory.user(full_name="Ашық Профиль", school_id=outsider_school.id)
    public.profile_public = True
    now = utcnow()
    ev = Event(
        association_id=a.id,
        title="Ашық сабақ",
        form="master_class",
        starts_at=now,
        ends_at=now,
        created_by_id=host.id,
    )
    db.session.add(ev)
    db.session.flush()
    for u in (world["teacher"], outsider, public):
        db.session.add(Registration(event_id=ev.id, user_id=u.id, status="registered"))
    db.session.commit()

    sign_in_as(client, host)
    resp = client.get(f"/masterclasses/{ev.id}/participants.csv")
    assert resp.status_code == 200
    lines = resp.get_data(as_text=True).splitlines()
    by_name = {line.split(";")[0]: line for line in lines}
    assert SCHOOL in by_name["Әлия Сейітова"]
    assert "Бөгде мектеп" not in by_name["Сырттан Келген"]
    assert "Бөгде мектеп" in by_name["Ашық Профиль"]


def test_visible_profiles_uses_one_query_for_a_list(app, world, factory, count_queries):
    from core.services import permissions

    others = [factory.user() for _ in range(5)]
    users = [world["teacher"], *others]
    viewer = world["co_member"]
    for u in [viewer, *users]:
        db.session.refresh(u)
    with app.test_request_context():
        permissions.memberships_of(viewer)  # cached per request; warm it
        with count_queries() as counter:
            visible = permissions.visible_profiles(viewer, users)
    assert visible == {world["teacher"].id}
    assert counter.count <= 2
