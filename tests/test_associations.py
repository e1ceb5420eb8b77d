"""Home page, directory, association page, and editing/creating/deleting associations."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from core.models import (
    CHARTER_FIELDS,
    Association,
    AuditLog,
    CyclogramItem,
    District,
    JoinRequest,
    Subject,
)


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


@pytest.fixture(autouse=True)
def _english(client):
    """Assertions read English messages and labels, whatever the catalogs hold."""
    client.set_cookie("lang", "en")


def _subject(code="math", kk="Математика", ru="Математика"):
    s = Subject(code=code, name_kk=kk, name_ru=ru, name_en=code)
    db.session.add(s)
    db.session.commit()
    return s


# Home -----------------------------------------------------------------------------------------


def test_home_anonymous_explains_and_links(client):
    html = client.get("/").get_data(as_text=True)
    assert "Qauym" in html
    for href in ('href="/associations"', 'href="/register"', 'href="/verify"'):
        assert href in html


def test_home_logged_in_lists_roles_requests_and_unread(client, factory, login):
    a = factory.association(slug="net", name_kk="Желі бірлестігі")
    b = factory.association(slug="club", name_kk="Клуб")
    leader = factory.member(a, role="leader")
    factory.member(b, leader, role="expert")
    applicant = factory.user(full_name="Өтінуші Әли")
    db.session.add(JoinRequest(association_id=a.id, user_id=applicant.id, message="Қабылдаңыз"))
    from core.services import notifications

    notifications.notify(leader, "core.join_request", "x")
    notifications.notify(leader, "core.join_request", "y")
    db.session.commit()

    login(client, leader)
    html = client.get("/").get_data(as_text=True)
    assert "Желі бірлестігі" in html and "Клуб" in html
    html = client.get("/").get_data(as_text=True)
    mine = html.split('id="my-associations"')[1]
    assert "leader (chair)" in mine.split("Клуб")[0] and "expert" in mine.split("Клуб")[1]
    requests = html.split('id="requests"')[1].split("</section>")[0]
    assert "Өтінуші Әли" in requests and "Қабылдаңыз" in requests
    assert 'href="/a/net/requests"' in requests
    assert "2 unread notifications" in html


def test_home_member_without_managing_role_sees_no_requests(client, factory, login):
    a = factory.association(slug="net")
    member = factory.member(a)
    db.session.add(JoinRequest(association_id=a.id, user_id=factory.user().id))
    db.session.commit()
    login(client, member)
    html = client.get("/").get_data(as_text=True)
    assert 'id="requests"' not in html


# Directory ------------------------------------------------------------------------------------


def test_directory_rows_show_record_fields(client, factory):
    client.set_cookie("lang", "kk")  # Kazakh place names first, English labels below
    r = factory.region(name_kk="Қостанай облысы")
    d = District(region_id=r.id, name_kk="Қостанай ауданы", name_ru="Костанайский", name_en="K")
    db.session.add(d)
    db.session.commit()
    a = factory.association(
        slug="shyn",
        name_kk="ШЫҢ желісі",
        abbr_kk="ШЫҢ",
        level="network",
        kind="network",
        region_id=r.id,
        district_id=d.id,
    )
    factory.member(a)
    factory.member(a)
    html = client.get("/associations").get_data(as_text=True)
    assert 'href="/a/shyn"' in html
    row = html.split('href="/a/shyn"')[1].split("</li>")[0]
    assert "ШЫҢ желісі" in row and "(ШЫҢ)" in row
    assert "Қостанай облысы" in row and "Қостанай ауданы" in row
    assert "2" in row  # member count
    client.set_cookie("lang", "en")
    row = client.get("/associations").get_data(as_text=True).split('href="/a/shyn"')[1]
    assert "network of schools" in row and "network community" in row
    assert "2 members" in row


def test_directory_search_by_names_abbreviation_and_topic(client, factory):
    factory.association(slug="a1", name_kk="Математика мұғалімдері", name_ru="Учителя")
    factory.association(slug="a2", name_kk="Бірлестік", name_ru="Физики Костаная")
    factory.association(slug="a3", name_kk="Бір", abbr_kk="ҚМРҚ")
    factory.association(slug="a4", name_kk="Екі", topic_kk="Функционалдық сауаттылық")
    factory.association(slug="a5", name_kk="Басқа")

    def found(q):
        html = client.get("/associations", query_string={"q": q}).get_data(as_text=True)
        return {s for s in ("a1", "a2", "a3", "a4", "a5", "a6") if f'href="/a/{s}"' in html}

    assert found("МАТЕМАТИКА") == {"a1"}  # case-insensitive Cyrillic
    assert found("физики") == {"a2"}
    assert found("қмрқ") == {"a3"}
    assert found("сауаттылық") == {"a4"}
    assert found("ки") == {"a2"}  # two letters: no index serves them, every row is read
    assert found("ика мұғ") == {"a1"}  # across a space, not across two columns
    assert found("функционалдық сауаттылық учителя") == set()
    factory.association(slug="a6", name_kk="Ёлочка", name_ru="Ёлочные игрушки")
    assert found("елочн") == {"a6"}  # ё typed or stored as е


def test_directory_filters_region_level_kind_subject(client, factory):
    r1, r2 = factory.region(code="kostanay"), factory.region(code="almaty")
    math = _subject()
    a = factory.association(slug="f1", region_id=r1.id, level="school", kind="methodological")
    a.subjects = [math]
    db.session.commit()
    factory.association(slug="f2", region_id=r2.id, level="school", kind="club")
    factory.association(slug="f3", region_id=r1.id, level="region", kind="subject")

    def found(**args):
        html = client.get("/associations", query_string=args).get_data(as_text=True)
        return {s for s in ("f1", "f2", "f3") if f'href="/a/{s}"' in html}

    assert found(region="kostanay") == {"f1", "f3"}
    assert found(level="school") == {"f1", "f2"}
    assert found(kind="club") == {"f2"}
    assert found(subject="math") == {"f1"}
    assert found(region="kostanay", level="region") == {"f3"}
    assert found(level="bogus") == {"f1", "f2", "f3"}  # unknown value: no filter


def test_directory_paginates(client, factory):
    for i in range(25):
        factory.association(slug=f"p{i:02d}", name_kk=f"Бірлестік {i:02d}")
    first = client.get("/associations").get_data(as_text=True)
    second = client.get("/associations?page=2").get_data(as_text=True)
    assert 'href="/a/p00"' in first and 'href="/a/p19"' in first and 'href="/a/p20"' not in first
    assert 'href="/a/p20"' in second and 'href="/a/p24"' in second and 'href="/a/p00"' not in second
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert client.get("/associations?page=99").status_code == 200  # clamps to the last page


def test_directory_query_count_does_not_grow(client, factory, count_queries):
    r = factory.region()
    d = District(region_id=r.id, name_kk="Аудан", name_ru="Район", name_en="D")
    db.session.add(d)
    db.session.commit()
    math = _subject()
    region_id, district_id, subject_id = r.id, d.id, math.id

    def make(n, start):
        subject = db.session.get(Subject, subject_id)
        for i in range(start, start + n):
            a = Association(
                slug=f"q{i}",
                name_kk=f"Б {i}",
                region_id=region_id,
                district_id=district_id,
                subjects=[subject],
            )
            db.session.add(a)
        db.session.commit()
        db.session.expunge_all()

    make(5, 0)
    with count_queries() as small:
        assert client.get("/associations").status_code == 200
    make(95, 5)
    with count_queries() as big:
        html = client.get("/associations?subject=math").get_data(as_text=True)
    assert html.count('href="/a/q') == 20
    with count_queries() as big_unfiltered:
        client.get("/associations")
    assert big_unfiltered.count == small.count
    assert big.count == small.count


# Association page -----------------------------------------------------------------------------


def test_association_page_shows_record_tree_and_charter(client, factory):
    client.set_cookie("lang", "kk")  # Kazakh place names first, English labels below
    r = factory.region(name_kk="Қостанай облысы")
    rep = factory.association(slug="rep", name_kk="Республикалық", abbr_kk="ҚМРҚ")
    net = factory.association(
        slug="net",
        name_kk="ШЫҢ желісі",
        name_ru="Сеть ШЫҢ",
        abbr_kk="ШЫҢ",
        abbr_ru="ШЫН",
        kind="network",
        level="network",
        region_id=r.id,
        host_organisation="№5 мектеп",
        parent_id=rep.id,
        legal_status="registered",
        lifespan="long-term",
        contacts="shyn@example.kz",
        topic_kk="Зерттеу сабақ",
        priority_kk="Ауыл мектептері",
        problem_kk="Оқшаулану",
        goals_kk="Тәжірибе алмасу",
        tasks_kk="Кездесулер",
        expected_results_kk="Жарияланымдар",
        rules_kk="Бір-бірін құрметтеу",
    )
    net.cyclogram = [
        CyclogramItem(position=0, activity="Онлайн кездесу", frequency="екі аптада бір"),
        CyclogramItem(position=1, activity="Эссе", frequency="ай сайын"),
    ]
    net.subjects = [_subject()]
    db.session.commit()
    child = factory.association(slug="school1", name_kk="№5 мектеп ӘБ", parent_id=net.id)
    factory.association(slug="grand", name_kk="Немере топ", parent_id=child.id)
    factory.member(net)

    html = client.get("/a/net").get_data(as_text=True)
    for text in (
        "ШЫҢ желісі",
        "Сеть ШЫҢ",
        "(ШЫН)",
        "Қостанай облысы",
        "№5 мектеп",
        'href="/a/rep"',
        "Республикалық",
        "Математика",
        "shyn@example.kz",
        "Зерттеу сабақ",
        "Ауыл мектептері",
        "Оқшаулану",
        "Тәжірибе алмасу",
        "Кездесулер",
        "Жарияланымдар",
        "Бір-бірін құрметтеу",
        "Онлайн кездесу",
        "екі аптада бір",
        "ай сайын",
        'id="member-count">1<',
        "sample for net",  # sidebar slot of the sample plugin
    ):
        assert text in html, text
    subtree = html.split('id="subtree"')[1].split("</section>")[0]
    assert 'href="/a/school1"' in subtree and 'href="/a/grand"' in subtree
    assert subtree.index("/a/school1") < subtree.index("/a/grand")
    client.set_cookie("lang", "en")
    html = client.get("/a/net").get_data(as_text=True)
    assert "registered legal entity" in html and "long-term" in html


def test_unknown_association_is_404(client):
    assert client.get("/a/nope").status_code == 404


# Edit, create, delete -------------------------------------------------------------------------


def _form(a: Association, **changes):
    data = {
        "name_kk": a.name_kk,
        "name_ru": a.name_ru,
        "abbr_kk": a.abbr_kk,
        "abbr_ru": a.abbr_ru,
        "kind": a.kind,
        "level": a.level,
        "host_organisation": a.host_organisation,
        "parent": a.parent_id or "",
        "legal_status": a.legal_status,
        "lifespan": a.lifespan,
        "join_policy": a.join_policy,
        "contacts": "",
        "description": "",
        **{
            f"{name}_{lang}": "" for name in (*CHARTER_FIELDS, "cyclogram") for lang in ("kk", "ru")
        },
    }
    data.update(changes)
    return data


def test_leader_edits_charter_and_cyclogram(client, factory, login, post):
    a = factory.association(slug="net")
    other = factory.association(slug="other")
    leader = factory.member(a, role="leader")
    login(client, leader)
    page = client.get("/a/net/edit").get_data(as_text=True)
    # Only administrators move an association (region, place in the tree).
    assert 'name="region"' not in page and 'name="parent"' not in page
    resp = post(
        client,
        "/a/net/edit",
        _form(
            a,
            topic_kk="Жаңа тақырып",
            goals_kk="Мақсат",
            parent=other.id,  # forged: not on the leader's form, ignored
            cyclogram_kk="Онлайн кездесу | екі аптада бір\n\n  Эссе  |ай сайын \nЖарияланым",
        ),
    )
    assert resp.status_code == 302
    db.session.expire_all()
    a = db.session.get(Association, a.id)
    assert a.topic_kk == "Жаңа тақырып" and a.goals_kk == "Мақсат"
    assert a.parent_id is None
    assert [(i.position, i.activity, i.frequency) for i in a.cyclogram] == [
        (0, "Онлайн кездесу", "екі аптада бір"),
        (1, "Эссе", "ай сайын"),
        (2, "Жарияланым", ""),
    ]
    assert "Эссе | ай сайын" in client.get("/a/net/edit").get_data(as_text=True)


def test_bad_cyclogram_line_shows_error_and_keeps_text(client, factory, login, post):
    a = factory.association(slug="net", topic_kk="Ескі")
    leader = factory.member(a, role="leader")
    login(client, leader)
    resp = post(
        client,
        "/a/net/edit",
        _form(a, topic_kk="Жаңа", cyclogram_kk="Кездесу | апта | артық\n| тек"),
    )
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Line 1" in html and "Line 2" in html
    assert "Кездесу | апта | артық" in html and "Жаңа" in html
    db.session.expire_all()
    assert db.session.get(Association, a.id).topic_kk == "Ескі"


def test_parent_cannot_be_self_or_descendant(client, factory, login, post):
    top = factory.association(slug="top")
    mid = factory.association(slug="mid", parent_id=top.id)
    low = factory.association(slug="low", parent_id=mid.id)
    other = factory.association(slug="other")
    admin = factory.user(is_site_admin=True)
    login(client, admin)
    page = client.get("/a/top/edit").get_data(as_text=True)
    parent_select = page.split('name="parent"')[1].split("</select>")[0]
    assert f'value="{other.id}"' in parent_select
    assert f'value="{mid.id}"' not in parent_select and f'value="{top.id}"' not in parent_select
    for bad in (top.id, low.id):
        resp = post(client, "/a/top/edit", _form(top, parent=bad))
        assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(Association, top.id).parent_id is None
    assert post(client, "/a/top/edit", _form(top, parent=other.id)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Association, top.id).parent_id == other.id
    assert db.session.get(Association, low.id).parent_id == mid.id


def test_members_and_outsiders_cannot_edit(client, factory, login, post):
    a = factory.association(slug="net")
    member = factory.member(a, role="expert")
    login(client, member)
    assert client.get("/a/net/edit").status_code == 403
    assert post(client, "/a/net/edit", _form(a, topic_kk="x")).status_code == 403
    db.session.expire_all()
    assert db.session.get(Association, a.id).topic_kk == ""


def _new(**kw):
    data = {
        "slug": "new-assoc",
        "name_kk": "Жаңа бірлестік",
        "name_ru": "Новое объединение",
        "kind": "subject",
        "level": "district",
        "legal_status": "informal",
        "lifespan": "permanent",
        "join_policy": "open",
        "region": "",
        "district": "",
        "parent": "",
    }
    data.update(kw)
    return data


def test_site_admin_creates_association_with_parent(client, factory, login, post):
    r = factory.region()
    parent = factory.association(slug="rep")
    math = _subject()
    admin = factory.user(is_site_admin=True)
    login(client, admin)
    assert client.get("/associations/new").status_code == 200
    chair = factory.user(email="chair@example.kz")
    resp = post(
        client,
        "/associations/new",
        _new(
            region=r.id,
            parent=parent.id,
            subjects=[math.id],
            cyclogram_kk="Кездесу | ай сайын",
            leader_email="Chair@example.kz",
        ),
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/a/new-assoc")
    a = db.session.scalar(select(Association).where(Association.slug == "new-assoc"))
    assert a.parent_id == parent.id and a.region_id == r.id and a.subjects == [math]
    assert a.cyclogram[0].activity == "Кездесу"
    assert [(m.user_id, m.role) for m in a.memberships] == [(chair.id, "leader")]
    assert a.member_count == 1
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "association.create"))
    # The same address twice: a field error, the typed values kept, nothing stored.
    resp = post(client, "/associations/new", _new(slug="x-y-z", leader_email="no@example.kz"))
    assert resp.status_code == 400 and "No registered user" in resp.get_data(as_text=True)
    resp = post(client, "/associations/new", _new(name_kk="Екінші"))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'value="Екінші"' in html and "has-error" in html
    assert len(db.session.scalars(select(Association)).all()) == 2


def test_create_validates_required_fields(client, factory, login, post):
    login(client, factory.user(is_site_admin=True))
    resp = post(client, "/associations/new", _new(slug="Bad Slug!", name_kk=""))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert html.count('class="error"') >= 2 and 'value="Bad Slug!"' in html
    assert db.session.scalars(select(Association)).all() == []


def test_regional_admin_creates_only_in_own_region(client, factory, login, post):
    from core.models import RegionAdmin

    mine, other = factory.region(), factory.region()
    radmin = factory.user()
    db.session.add(RegionAdmin(user_id=radmin.id, region_id=mine.id))
    db.session.commit()
    login(client, radmin)
    page = client.get("/associations/new").get_data(as_text=True)
    region_select = page.split('name="region"')[1].split("</select>")[0]
    assert f'value="{mine.id}"' in region_select and f'value="{other.id}"' not in region_select
    assert post(client, "/associations/new", _new(region=other.id)).status_code == 400
    assert post(client, "/associations/new", _new(region="")).status_code == 400
    assert db.session.scalars(select(Association)).all() == []
    assert post(client, "/associations/new", _new(region=mine.id)).status_code == 302
    # ...and cannot move it to another region afterwards
    a = db.session.scalar(select(Association))
    assert post(client, "/a/new-assoc/edit", _form(a, region=other.id)).status_code == 400
    db.session.expire_all()
    assert db.session.get(Association, a.id).region_id == mine.id


def test_members_cannot_create(client, factory, login, post):
    login(client, factory.user())
    assert client.get("/associations/new").status_code == 403
    assert post(client, "/associations/new", _new()).status_code == 403
    post(client, "/logout")
    assert client.get("/associations/new").status_code == 302  # anonymous: to login


def test_site_admin_deletes_association_children_move_up(client, factory, login, post):
    rep = factory.association(slug="rep")
    mid = factory.association(slug="mid", parent_id=rep.id)
    low = factory.association(slug="low", parent_id=mid.id)
    factory.member(mid, role="leader")
    admin = factory.user(is_site_admin=True)
    login(client, admin)
    client.set_cookie("lang", "en")
    assert "Delete for good" in client.get("/a/mid/delete").get_data(as_text=True)
    resp = post(client, "/a/mid/delete")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Association, mid.id) is None
    assert db.session.get(Association, low.id).parent_id == rep.id
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "association.delete"))
    assert entry.actor_id == admin.id and entry.target == "mid"
    assert client.get("/a/mid").status_code == 404


def test_only_site_admin_deletes(client, factory, login, post):
    from core.models import RegionAdmin

    r = factory.region()
    a = factory.association(slug="net", region_id=r.id)
    leader = factory.member(a, role="leader")
    radmin = factory.user()
    db.session.add(RegionAdmin(user_id=radmin.id, region_id=r.id))
    db.session.commit()
    for user in (leader, radmin):
        login(client, user)
        assert post(client, "/a/net/delete").status_code == 403
        post(client, "/logout")
    assert db.session.get(Association, a.id) is not None


def test_edit_keeps_stored_values_and_the_database_refuses_unlisted_ones(
    client, factory, login, post
):
    # A value outside the closed set (one an older or newer version might list) cannot be
    # stored: the CHECK constraint on the column (core_0010_closed_sets) refuses it.
    with pytest.raises(IntegrityError):
        factory.association(slug="odd", lifespan="until-2027")
    db.session.rollback()
    a = factory.association(slug="old", lifespan="long-term", legal_status="registered")
    leader = factory.member(a, role="leader")
    login(client, leader)
    page = client.get("/a/old/edit").get_data(as_text=True)
    assert '<option selected value="long-term">' in page
    assert '<option selected value="registered">' in page
    assert post(client, "/a/old/edit", _form(a, topic_kk="Жаңа")).status_code == 302
    db.session.expire_all()
    a = db.session.get(Association, a.id)
    assert a.lifespan == "long-term" and a.legal_status == "registered" and a.topic_kk == "Жаңа"


def test_delete_refused_while_a_plugin_holds_rows(client, factory, login, post):
    from qauym_sample.plugin import SampleNote

    parent = factory.association(slug="rep")
    a = factory.association(slug="net", parent_id=parent.id)
    child = factory.association(slug="school", parent_id=a.id)
    db.session.add(SampleNote(association_id=a.id, text="жазба"))
    db.session.commit()
    login(client, factory.user(is_site_admin=True))
    client.set_cookie("lang", "en")
    resp = post(client, "/a/net/delete", follow_redirects=True)
    assert "was not deleted" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Association, a.id) is not None
    assert db.session.get(Association, child.id).parent_id == a.id
    assert db.session.scalars(select(AuditLog)).all() == []


def test_home_shows_plugin_widgets_for_the_logged_in_user(app, client, factory, login):
    from markupsafe import Markup, escape

    from core import hookimpl
    from core.plugin_api import SlotContent

    class Widget:
        @hookimpl
        def template_slot(self, slot, context):
            if slot != "home.widgets":
                return None
            return SlotContent(Markup('<p class="w">{}</p>').format(escape(context["user"].email)))

    app.extensions["qauym_plugins"].pm.register(Widget(), name="widget-test")
    user = factory.user(email="w@example.kz")
    assert 'class="w"' not in client.get("/").get_data(as_text=True)  # anonymous: no widgets
    login(client, user)
    assert '<p class="w">w@example.kz</p>' in client.get("/").get_data(as_text=True)
