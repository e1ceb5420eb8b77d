"""Site search of associations and people by word forms (Kazakh and Russian)."""

from __future__ import annotations

import pytest


@pytest.fixture
def app(make_app):
    app = make_app(plugins="none")
    with app.app_context():
        yield app


def search(client, q: str) -> str:
    resp = client.get("/search", query_string={"q": q})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_associations_are_found_by_inflected_forms_and_marked(client, factory):
    factory.association(
        slug="young",
        name_kk="Жас мұғалімдер клубы",
        name_ru="Клуб молодых учителей",
        topic_kk="Сабақ жоспарын бірге құрастыру",
    )
    factory.association(slug="other", name_kk="Химия пәні бірлестігі", name_ru="МО химиков")
    for q in ["мұғалім", "мұғалімнің", "мұғалімдеріміз", "учитель", "учителя", "сабақтар"]:
        html = search(client, q)
        assert 'href="/a/young"' in html and 'href="/a/other"' not in html, q
    html = search(client, "мұғалімге")
    assert "Жас <mark>мұғалімдер</mark> клубы" in html
    # every word must match, each in one of its forms
    assert 'href="/a/young"' in search(client, "жас мұғалім")
    assert 'href="/a/young"' not in search(client, "химия мұғалім")
    # voicing: the query's stem ends in -п, the text has -б-
    assert 'href="/a/young"' in search(client, "жоспар")


def test_people_are_found_by_name_forms(client, factory, login):
    person = factory.user(full_name="Гүлнар Сәрсенбаева")
    login(client, factory.user())
    assert f'href="/u/{person.id}"' in search(client, "Сәрсенбаеваның")
