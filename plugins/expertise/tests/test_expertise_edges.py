"""Expertise input at its edges: the library ignores a year, grade, subject or association it
cannot use and clamps the page; ids past 64 bits are a 404."""

from __future__ import annotations

import pytest


@pytest.fixture
def app(make_app):
    app = make_app(plugins="expertise")
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    "query",
    [
        "year=9999",
        "year=-1",
        "year=0",
        f"page={2**70}",
        f"grade={2**70}",
        "grade=-1",
        f"subject={2**70}",
        f"association={2**70}",
        "year=abc&grade=abc&subject=abc&association=abc&page=abc",
    ],
)
def test_the_library_ignores_filters_it_cannot_use(client, query):
    assert client.get(f"/expertise/library?{query}").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/expertise/s/99999999999999999999999",
        "/expertise/file/99999999999999999999999",
        "/expertise/s/-1",
    ],
)
def test_ids_out_of_range_are_not_found(client, url):
    assert client.get(url).status_code == 404
