"""The charter in Kazakh and in Russian: a field per language, edited side by side; a page shows
the reader's language with the other one a click away (``?lang_text=``), a section empty in one
language falls back to the other, and the two are never mixed in one list. The migration moves
texts written in both languages into the field of each."""

from __future__ import annotations

import os

import flask_migrate
import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import Association, CyclogramItem
from core.services.text import split_languages, split_pair
from core.testing import _pg_reset, sign_in_as

RULES_KK = "1. Бір-бірімізді құрметтейміз.\n2. Пікірді дәлелдейміз."
RULES_RU = "1. Уважаем друг друга.\n2. Обосновываем мнение."


@pytest.fixture
def app(make_app):
    app = make_app(plugins="")
    with app.app_context():
        yield app


@pytest.fixture
def assoc(factory):
    a = factory.association(
        slug="shyn",
        name_kk="ШЫҢ",
        topic_kk="Зерттеу сабағы",
        topic_ru="Исследование урока",
        rules_kk=RULES_KK,
        rules_ru=RULES_RU,
        goals_ru="Только по-русски",
    )
    a.cyclogram = [
        CyclogramItem(position=0, activity="Онлайн кездесу", frequency="ай сайын", language="kk"),
        CyclogramItem(position=0, activity="Онлайн-встреча", frequency="ежемесячно", language="ru"),
    ]
    db.session.commit()
    return a


def _charter(html: str) -> str:
    return html[html.index('id="charter"') :].split("</section>")[0]


def test_kazakh_reader_sees_the_kazakh_charter_and_a_link_to_the_russian(client, assoc):
    client.set_cookie("lang", "kk")
    part = _charter(client.get("/a/shyn").get_data(as_text=True))
    assert "Зерттеу сабағы" in part and "Исследование урока" not in part
    assert "Бір-бірімізді құрметтейміз" in part and "Уважаем друг друга" not in part
    assert "Онлайн кездесу" in part and "Онлайн-встреча" not in part
    # Goals exist only in Russian: shown in Russian, marked as such.
    assert '<div lang="ru"><p>Только по-русски</p>' in part
    assert 'href="/a/shyn?lang_text=ru#charter"' in part


def test_the_other_language_is_one_click_away(client, assoc):
    client.set_cookie("lang", "kk")
    part = _charter(client.get("/a/shyn?lang_text=ru").get_data(as_text=True))
    assert "Исследование урока" in part and "Зерттеу сабағы" not in part
    assert "Уважаем друг друга" in part and "Бір-бірімізді" not in part
    assert "Онлайн-встреча" in part and "Онлайн кездесу" not in part
    assert 'href="/a/shyn?lang_text=kk#charter"' in part


def test_russian_reader_sees_russian_and_bad_values_are_ignored(client, assoc):
    client.set_cookie("lang", "ru")
    for url in ("/a/shyn", "/a/shyn?lang_text=xx", "/a/shyn?lang_text=%00"):
        resp = client.get(url)
        assert resp.status_code in (200, 404)
        if resp.status_code == 200:
            part = _charter(resp.get_data(as_text=True))
            assert "Исследование урока" in part and "Зерттеу сабағы" not in part


def test_charter_in_one_language_only_has_no_link(client, factory):
    factory.association(slug="kk-only", topic_kk="Тек қазақша")
    client.set_cookie("lang", "ru")
    part = _charter(client.get("/a/kk-only").get_data(as_text=True))
    assert "Тек қазақша" in part and "lang_text" not in part


def test_leader_edits_both_languages_side_by_side(client, assoc, factory, post):
    leader = factory.member(assoc, role="leader")
    sign_in_as(client, leader)
    client.set_cookie("lang", "en")
    page = client.get("/a/shyn/edit").get_data(as_text=True)
    for name in ("topic_kk", "topic_ru", "rules_kk", "rules_ru", "cyclogram_kk", "cyclogram_ru"):
        assert f'name="{name}"' in page
    assert page.count('class="lang-pair"') == 8
    assert "Онлайн кездесу | ай сайын" in page and "Онлайн-встреча | ежемесячно" in page
    data = {
        "name_kk": assoc.name_kk,
        "name_ru": assoc.name_ru,
        "kind": assoc.kind,
        "level": assoc.level,
        "legal_status": assoc.legal_status,
        "lifespan": assoc.lifespan,
        "join_policy": assoc.join_policy,
        "topic_kk": "Жаңа тақырып",
        "topic_ru": "Новая тема",
        "cyclogram_kk": "Кеңес | тоқсан сайын",
        "cyclogram_ru": "Совет | ежеквартально\nЭссе",
    }
    resp = post(client, "/a/shyn/edit", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    a = db.session.get(Association, assoc.id)
    assert (a.topic_kk, a.topic_ru, a.rules_kk) == ("Жаңа тақырып", "Новая тема", "")
    assert sorted((i.language, i.position, i.activity) for i in a.cyclogram) == [
        ("kk", 0, "Кеңес"),
        ("ru", 0, "Совет"),
        ("ru", 1, "Эссе"),
    ]
    # A bad line in the Russian cyclogram: a field error, everything typed kept.
    data["cyclogram_ru"] = "Совет | раз | два"
    resp = post(client, "/a/shyn/edit", data)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Совет | раз | два" in html and "Новая тема" in html


def test_split_languages_by_paragraph_and_pairs():
    assert split_languages(f"{RULES_KK}\n\n{RULES_RU}") == (RULES_KK, RULES_RU)
    assert split_languages("Только русский") == ("", "Только русский")
    assert split_languages("Қазақша ғана") == ("Қазақша ғана", "")
    assert split_pair("Жалпы жиналыс / Общее собрание") == ("Жалпы жиналыс", "Общее собрание")
    assert split_pair("Онлайн семинар / Онлайн-семинар") == ("Онлайн семинар", "Онлайн-семинар")
    assert split_pair("Эссе") == ("", "Эссе")
    assert split_pair("Кеңес") == ("Кеңес", "")


def test_migration_moves_texts_into_the_field_of_their_language(pg_url, tmp_path):
    """Upgrade a database at core_0030 holding mixed charters to core_0031 (and back)."""
    from core import create_app

    url = pg_url or f"sqlite:///{tmp_path / 'charter.db'}"
    os.environ.setdefault("QAUYM_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PLUGINS": "", "DATABASE_URL": url})
    with app.app_context():
        if pg_url:
            _pg_reset()
        flask_migrate.upgrade(revision="core_0030")
        db.session.execute(
            sa.text(
                "INSERT INTO core_association (id, slug, name_kk, name_ru, abbr_kk, abbr_ru,"
                " kind, level, host_organisation, legal_status, lifespan, join_policy,"
                " contacts, description, topic, priority, problem, goals, tasks,"
                " expected_results, rules, created_at, last_activity_at, member_count)"
                " VALUES (1, 's', 'Ш', '', '', '', 'network', 'network', '', 'informal',"
                " 'permanent', 'open', '', '', :topic, 'Приоритет', '', '', '', '', :rules,"
                " '2026-01-01', '2026-01-01', 0)"
            ),
            {"topic": "Зерттеу сабағы\n\nИсследование урока", "rules": f"{RULES_KK}\n\n{RULES_RU}"},
        )
        db.session.execute(
            sa.text(
                "INSERT INTO core_cyclogram_item (association_id, position, activity, frequency)"
                " VALUES (1, 0, 'Жалпы жиналыс / Общее собрание', 'жылына бір рет / раз в год'),"
                " (1, 1, 'Кеңес', 'ай сайын'), (1, 2, 'Эссе', '')"
            )
        )
        db.session.commit()
        flask_migrate.upgrade(revision="core_0031")
        row = db.session.execute(
            sa.text(
                "SELECT topic_kk, topic_ru, rules_kk, rules_ru, priority_kk, priority_ru"
                " FROM core_association"
            )
        ).one()
        items = db.session.execute(
            sa.text(
                "SELECT language, position, activity, frequency FROM core_cyclogram_item"
                " ORDER BY language, position"
            )
        ).all()
        db.session.commit()
        flask_migrate.downgrade(revision="core_0030")
        back = db.session.execute(sa.text("SELECT topic, rules FROM core_association")).one()
        db.session.remove()
        db.engine.dispose()
    assert tuple(row) == (
        "Зерттеу сабағы",
        "Исследование урока",
        RULES_KK,
        RULES_RU,
        "",
        "Приоритет",
    )
    assert [tuple(i) for i in items] == [
        ("kk", 0, "Жалпы жиналыс", "жылына бір рет"),
        ("kk", 1, "Кеңес", "ай сайын"),
        ("ru", 0, "Общее собрание", "раз в год"),
        ("ru", 1, "Эссе", ""),
    ]
    assert tuple(back) == ("Зерттеу сабағы\n\nИсследование урока", f"{RULES_KK}\n\n{RULES_RU}")
