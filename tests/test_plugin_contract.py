"""The sample plugin, installed like a third-party one, extends the core without core changes."""

import pytest

from core.models import Membership


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


def test_sample_plugin_adds_page_nav_tab_slot_and_permission(app, client, factory, login):
    assoc = factory.association(slug="net")
    member = factory.member(assoc)
    outsider = factory.user()

    home = client.get("/sample/")
    assert home.status_code == 200
    assert 'href="/sample/"' in client.get("/").get_data(as_text=True)  # nav item

    page = client.get("/a/net").get_data(as_text=True)
    assert "sample for net" in page  # slot
    assert "Sample notes" not in page  # tab needs the permission

    login(client, outsider)
    assert client.get("/sample/net").status_code == 403

    client.post("/logout", data={})
    login(client, member)
    assert "Sample notes" in client.get("/a/net").get_data(as_text=True)
    assert client.get("/sample/net").status_code == 200
    assert Membership.query.count() == 1


def test_allow_list_leaving_plugin_out_removes_routes_and_nav(make_app, factory):
    app = make_app(plugins="")
    with app.app_context():
        factory.association(slug="net")
        client = app.test_client()
        assert client.get("/sample/").status_code == 404
        assert client.get("/sample/net").status_code == 404
        page = client.get("/a/net").get_data(as_text=True)
        assert "/sample/" not in page and "sample for net" not in page
        assert client.get("/healthz").get_json()["plugins"] == []
