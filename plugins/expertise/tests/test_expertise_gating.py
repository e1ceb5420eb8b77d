"""Switched off for the deployment or for a region: no expertise URL, tab or library entry."""

from __future__ import annotations

from core.extensions import db
from core.models import Association
from core.services import plugin_gate
from plugins.expertise.tests.conftest import as_user, logout, reviewed, step


def test_disabled_for_the_deployment(make_app, factory):
    app = make_app(plugins="")
    with app.app_context():
        factory.association(slug="kostanay-math")
        client = app.test_client()
        for url in ("/expertise/library", "/expertise/a/kostanay-math", "/expertise/s/1"):
            assert client.get(url).status_code == 404
        assert "/expertise/" not in client.get("/").get_data(as_text=True)
        assert "/expertise/" not in client.get("/a/kostanay-math").get_data(as_text=True)


def test_disabled_for_a_region(world, client, post, app, factory):
    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    step(client, post, sub_id, "recommend")
    other_region = factory.region()
    other = factory.association(slug="other", region_id=other_region.id)
    assert "/expertise/a/kostanay-math" in client.get("/a/kostanay-math").get_data(as_text=True)
    with app.test_request_context():
        plugin_gate.set_switch(
            "expertise", False, actor=world.coordinator, region_id=world.association.region_id
        )
    for url in (
        "/expertise/a/kostanay-math",
        "/expertise/a/kostanay-math/submit",
        "/expertise/a/kostanay-math/dashboard",
        f"/expertise/s/{sub_id}",
        f"/expertise/s/{sub_id}/assign",
    ):
        assert client.get(url).status_code == 404, url
    assert step(client, post, sub_id, "withdraw").status_code == 404
    assert "/expertise/a/kostanay-math" not in client.get("/a/kostanay-math").get_data(as_text=True)
    logout(client)
    assert "Бөлшектерді қосу" not in client.get("/expertise/library").get_data(as_text=True)
    # Elsewhere the plugin still runs.
    assert client.get("/expertise/library").status_code == 200
    assert "/expertise/a/other" in client.get("/a/other").get_data(as_text=True)
    assert db.session.get(Association, other.id) is not None
    # Back on, without a restart.
    with app.test_request_context():
        plugin_gate.set_switch(
            "expertise", True, actor=world.coordinator, region_id=world.association.region_id
        )
    assert "Бөлшектерді қосу" in client.get("/expertise/library").get_data(as_text=True)
