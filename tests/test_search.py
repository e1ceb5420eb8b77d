"""Site search through the HTTP client: associations, people (logged-in only), plugin results
(the sample plugin and in-test plugins), per-association plugin switches, escaping, limits."""

import re

import pytest

from core import hookimpl
from core.extensions import db
from core.plugin_api import SearchResult
from core.services import plugin_gate
from core.services import search as search_service


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


def groups(html: str) -> list[str]:
    return re.findall(r'<section class="search-group" id="results-([\w-]+)">', html)


def search(client, q: str) -> str:
    resp = client.get("/search", query_string={"q": q})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def add_note(association, text):
    from qauym_sample.plugin import SampleNote

    db.session.add(SampleNote(association_id=association.id, text=text))
    db.session.commit()


def test_associations_match_kazakh_names_in_any_case_and_are_highlighted(client, factory):
    factory.association(slug="net", name_kk="Ауылдық мектептер желісі", name_ru="Сеть школ")
    factory.association(slug="other", name_kk="Жас мұғалімдер клубы", name_ru="Клуб")

    html = search(client, "МЕКТЕПТЕР")

    assert groups(html) == ["associations"]
    assert 'href="/a/net"' in html and 'href="/a/other"' not in html
    assert "Ауылдық <mark>мектептер</mark> желісі" in html
    assert 'value="МЕКТЕПТЕР"' in html  # the query stays in the box


def test_people_are_found_only_by_logged_in_users(client, factory, login):
    person = factory.user(full_name="Гүлнар Сәрсенбаева")
    viewer = factory.user()

    anonymous = search(client, "сәрсенбаева")
    assert groups(anonymous) == []
    assert f'href="/u/{person.id}"' not in anonymous

    login(client, viewer)
    html = search(client, "сәрсенбаева")
    assert groups(html) == ["people"]
    assert f'href="/u/{person.id}"' in html
    assert "Гүлнар <mark>Сәрсенбаева</mark>" in html


def test_plugin_results_are_grouped_and_dropped_where_the_plugin_is_off(
    client, factory, login, post
):
    region = factory.region()
    on = factory.association(slug="on", name_kk="Бірінші", region_id=region.id)
    off = factory.association(slug="off", name_kk="Екінші")
    add_note(on, "Kahoot quiz for grade 5")
    add_note(off, "Kahoot quiz for grade 9")
    admin = factory.user(is_site_admin=True)
    login(client, admin)

    html = search(client, "kahoot")
    assert groups(html) == ["sample"]
    assert "grade 5" in html and "grade 9" in html
    assert "Sample plugin (tests only)" in html  # group label and kind from plugin_info

    plugin_gate.set_switch("sample", False, actor=admin, association_id=off.id)
    html = search(client, "kahoot")
    assert "grade 5" in html
    assert "grade 9" not in html

    plugin_gate.set_switch("sample", False, actor=admin, region_id=region.id)
    assert groups(search(client, "kahoot")) == []  # off for the whole region of "on"


class HostilePlugin:
    """Returns what a careless plugin might: markup in titles, script URLs, too many rows."""

    @hookimpl
    def search(self, query, user, limit):
        rows = [
            SearchResult(
                title=f"<script>alert('t')</script> {query} {i}",
                url=f"/hostile/{i}",
                snippet=f"<img src=x onerror=alert(1)> about {query}",
                kind="Hostile",
                score=float(i),
            )
            for i in range(limit + 5)
        ]
        rows.append(SearchResult(title=f"{query} link", url="javascript:alert(1)", score=99))
        return rows


class BrokenPlugin:
    @hookimpl
    def search(self, query, user, limit):
        raise RuntimeError("index unavailable")


@pytest.fixture
def hostile(app):
    pm = app.extensions["qauym_plugins"].pm
    pm.register(HostilePlugin(), name="hostile")
    pm.register(BrokenPlugin(), name="broken")
    yield
    pm.unregister(name="hostile")
    pm.unregister(name="broken")


def test_everything_is_escaped_before_highlighting(client, factory, hostile):
    factory.association(slug="x", name_kk="<script>alert('a')</script> бірлестік")

    html = search(client, "<script>")

    assert "<script>" not in html.split("<main", 1)[1]
    assert "<img src=x" not in html
    # the query as typed, and its word wherever it stands
    assert (
        "<mark>&lt;script&gt;</mark>alert(&#39;a&#39;)&lt;/<mark>script</mark>&gt; бірлестік"
        in html
    )
    assert 'value="&lt;script&gt;"' in html
    assert "javascript:" not in html


def test_results_are_limited_ordered_and_a_broken_plugin_is_left_out(client, factory, hostile):
    for i in range(25):
        factory.association(slug=f"k{i}", name_kk=f"Математика {i}", member_count=i)

    html = search(client, "математика")

    assert groups(html) == ["associations", "hostile"]
    assocs, hostile_part = html.split('id="results-hostile"')
    assert assocs.count('href="/a/k') == 20
    assert 'href="/a/k24"' in assocs and 'href="/a/k4"' not in assocs  # biggest first
    assert hostile_part.count('href="/hostile/') == 20
    assert hostile_part.index('href="/hostile/24"') < hostile_part.index('href="/hostile/23"')


def test_too_short_or_empty_query_searches_nothing(client, factory):
    factory.association(slug="a", name_kk="А")
    client.set_cookie("lang", "en")
    assert groups(search(client, "")) == []
    html = search(client, "а")
    assert groups(html) == [] and "Type at least 2 characters." in html
    assert "Nothing found for “жоқ сөз”." in search(client, "жоқ сөз")


def test_like_wildcards_in_the_query_are_literal(client, factory):
    factory.association(slug="p", name_kk="100% нәтиже")
    factory.association(slug="q", name_kk="Басқа")
    html = search(client, "0%")
    assert 'href="/a/p"' in html and 'href="/a/q"' not in html
    assert 'href="/a/q"' not in search(client, "__")


def test_query_count_does_not_grow_with_the_number_of_results(
    client, factory, login, count_queries
):
    from core.models import School

    region = factory.region()
    school = School(name="№1 мектеп", region_id=region.id)
    db.session.add(school)
    db.session.commit()
    login(client, factory.user())

    def queries_for(n: int) -> int:
        # one word per batch: a query is matched word by word, "Физика 2-" would find both
        word = {2: "Физика", 8: "Химия"}[n]
        for i in range(n):
            factory.association(slug=f"s{n}-{i}", name_kk=f"{word} {i}")
            # Public profiles: a stranger sees their school (tests/test_profile_privacy.py).
            factory.user(full_name=f"{word} {i} Сейітова", school_id=school.id, profile_public=True)
        with count_queries() as counter:
            html = search(client, word)
        assert html.count('href="/a/s') == n
        assert html.count("№1 мектеп") == n  # people, with their school
        return counter.count

    assert queries_for(2) == queries_for(8)


def test_people_match_a_stored_folded_name_with_a_plain_like(client, factory, login, count_queries):
    """Names are matched in ``core_user.name_folded`` (lower case in every alphabet, ё as е)
    by the database's own ``LIKE``: no Python function runs per user (at 100,000 users it
    made the search's people take 170 ms)."""
    person = factory.user(full_name="Алёна Қасымова")
    login(client, factory.user())
    with count_queries() as counter:
        html = search(client, "АЛЕНА")
    assert f'href="/u/{person.id}"' in html
    people_sql = [s for s in counter.statements if "name_folded" in s]
    assert people_sql and not any("qauym_" in s for s in people_sql)
    assert f'href="/u/{person.id}"' in search(client, "қасымоВА")

    person.full_name = "Алёна Нұрланқызы"  # a renamed teacher is found by the new name
    db.session.commit()
    assert f'href="/u/{person.id}"' in search(client, "нұрланқызы")
    assert f'href="/u/{person.id}"' not in search(client, "қасымова")


def test_migration_folds_the_names_of_existing_users(pg_url, tmp_path):
    import flask_migrate
    import sqlalchemy as sa

    from core.testing import migrated_app

    with migrated_app(pg_url, tmp_path):
        flask_migrate.upgrade(revision="core_0060")
        db.session.execute(
            sa.text(
                "INSERT INTO core_user (id, email, password_hash, full_name, handle, category,"
                " experience_years, position, bio, is_site_admin, active, created_at)"
                " VALUES (1, 'a@x.kz', 'x', 'ӘЛІЯ Сёмина', 'aliya', 'none', 0, '', '', false,"
                " true, '2026-01-01')"
            )
        )
        db.session.commit()
        flask_migrate.upgrade(revision="core_0070")
        folded = db.session.scalar(sa.text("SELECT name_folded FROM core_user"))
    assert folded == "әлія семина"


def test_people_search_tries_no_pattern_another_one_implies(client, factory, login):
    """Each word's alternatives are cut to those no other one is part of (a stem stands for
    its forms), and the query as typed is not tried beside its words: the same people are
    found with fewer patterns per user (where no index serves them, each is a pass over the
    names)."""
    from sqlalchemy import select

    from core.models import User

    person = factory.user(full_name="Сабақбаева Гүлнар")
    other = factory.user(full_name="Гүлнара Сабақова")
    login(client, factory.user())
    html = search(client, "Сабақбаева")
    assert f'href="/u/{person.id}"' in html and f'href="/u/{other.id}"' not in html
    # "Сабақбаеваның": its own form, the stem "сабақбаева", "сабақбаеван" and their
    # unvoiced spellings; the stem and its unvoiced spelling are part of all the others
    condition = search_service.forms_match([User.name_folded], "Сабақбаеваның", folded=True)
    compiled = select(User.id).where(condition).compile(db.engine)
    strings = [v for v in compiled.params.values() if isinstance(v, str)]
    if db.session.get_bind().dialect.name == "sqlite":  # one MATCH of the trigram index
        (expr,) = strings
        assert expr == '("сабақбаева" OR "сабакбаева")', expr
    else:  # one LIKE a pattern, the pg_trgm index serving each
        assert sorted(strings) == ["сабакбаева", "сабақбаева"], strings
        assert str(compiled).lower().count("name_folded like") == 2
    # two words: both needed, each in any of its forms
    html = search(client, "гүлнар сабақбаевамен")
    assert f'href="/u/{person.id}"' in html and f'href="/u/{other.id}"' not in html


def test_shortest_alternatives_only():
    shortest = search_service._shortest_only
    assert shortest(["сабақтар", "сабақ", "сабағ", "сабақ"]) == ["сабақ", "сабағ"]
    assert shortest(["урок", "уроки", "урока"]) == ["урок"]
    assert shortest(["бағалау", "оценка"]) == ["оценка", "бағалау"]
