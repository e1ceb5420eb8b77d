"""Input at its edges (issue 10): ids past 64 bits, huge pages and filters, dates in year 1 or
9999 get a clear answer, never a 500; and the edge walk itself reports what it cannot test."""

from __future__ import annotations

import pytest
from flask import Blueprint

from core.testing_routes import seed_world, walk_edges

HUGE = 2**70
#: One past the largest id (id columns are 32-bit ``integer`` on PostgreSQL).
PAST_ID = 2**31


@pytest.fixture
def app(make_app):
    app = make_app(plugins="")
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    "url", [f"/u/{HUGE}", f"/u/{PAST_ID}", "/u/-1", "/u/0", f"/u/{HUGE}/portfolio"]
)
def test_user_ids_out_of_range_are_not_found(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("page", [str(HUGE), "-1", "0", "abc", "1e9"])
def test_a_page_past_the_end_shows_the_last_page(client, factory, login, page):
    for i in range(3):
        factory.association(name_kk=f"Бірлестік {i}")
    resp = client.get(f"/associations?page={page}")
    assert resp.status_code == 200
    assert "Бірлестік 0" in resp.get_data(as_text=True)  # one page: the last is the first
    admin = factory.user(is_site_admin=True)
    login(client, admin)
    for url in ("/admin/associations", "/admin/audit", "/notifications"):
        resp = client.get(f"{url}?page={page}", follow_redirects=True)
        assert resp.status_code == 200, url


edgy = Blueprint("edgy", __name__)


@edgy.get("/edgy/<int:n>")
def unbounded(n):
    from core.extensions import db
    from core.models import User

    # PostgreSQL refuses an id past its 32-bit id columns ("integer out of range"); SQLite
    # would take it, so the route fails the same way on both.
    if n > 2**31 - 1:
        raise OverflowError("integer out of range")
    return str(db.session.get(User, n))


@edgy.get("/edgy/mystery/<mystery>")
def mystery(mystery):
    return "unreachable for the walk"


@pytest.fixture
def edgy_app(make_app):
    app = make_app(plugins="")
    app.register_blueprint(edgy)
    with app.app_context():
        yield app


def test_the_edge_walk_reports_server_errors_and_routes_it_cannot_build(edgy_app, factory):
    world = seed_world(factory)
    result = walk_edges(
        edgy_app,
        world,
        url_args={"edgy.unbounded": {"n": 1}},
        only=lambda endpoint: endpoint.startswith("edgy."),
    )
    problems = "\n".join(result.problems)
    assert f"edgy.unbounded /edgy/{PAST_ID}: raised" in problems
    assert "edgy.mystery: no value for URL argument 'mystery'" in problems
    # The unbounded route was requested with 2**31 and -1 and every edge query, twice each.
    assert result.requests["edgy.unbounded"] == 2 * (2 + 5)
    assert "edgy.mystery" not in result.requests


@pytest.mark.parametrize(
    "url",
    [
        "/a/walk%00x",
        "/a/walk%00x/members",
        "/associations?q=%00&region=%00&subject=x%00&level=%00&page=%00",
        "/search?q=a%00b",
        "/verify?code=%00",
        "/admin/associations?region=%00&q=%00",
        "/admin/audit?action=%00",
    ],
)
def test_nul_in_a_path_or_query_is_never_a_server_error(client, factory, login, url):
    factory.association(slug="walk")
    login(client, factory.user(is_site_admin=True))
    assert client.get(url).status_code in (200, 404)


def test_nul_in_a_login_email_is_a_field_error(client, post):
    resp = post(client, "/login", {"email": "a\x00@example.kz", "password": "x"})
    assert resp.status_code == 200
