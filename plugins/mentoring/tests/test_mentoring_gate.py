"""Mentoring switched off for the deployment or for a region: no URL, tab, nav item or report."""

from __future__ import annotations

from core.services import plugin_gate
from plugins.mentoring.tests.world import (
    add_mentor,
    add_novice,
    add_pair,
    client_for,
    make_world,
    programme_url,
)


def test_disabled_for_the_deployment(make_app, factory, login):
    """Not registered at all (its tables are not even created): no route, nav item or tab."""
    app = make_app(plugins="")
    with app.app_context():
        association = factory.association(slug="damu-ma")
        leader = factory.member(association, role="leader")
        client = client_for(app, login, leader)
        for url in (
            "/mentoring/",
            "/mentoring/a/damu-ma/",
            "/mentoring/a/damu-ma/1/",
            "/mentoring/a/damu-ma/1/report.csv",
            "/mentoring/pairs/1",
        ):
            assert client.get(url).status_code == 404, url
        assert "/mentoring/" not in client.get("/a/damu-ma").get_data(as_text=True)
        assert "/mentoring/" not in client.get("/").get_data(as_text=True)


def test_switched_off_for_a_region(app, factory, login):
    w = make_world(factory)
    mentor_user, m = add_mentor(factory, w, "Ментор")
    _, n = add_novice(factory, w, "Жас маман")
    pair = add_pair(m, n)
    leader = client_for(app, login, w.leader)
    mentor = client_for(app, login, mentor_user)
    urls = [
        "/mentoring/a/damu-ma/",
        programme_url(w),
        programme_url(w, "assign"),
        programme_url(w, "report"),
        programme_url(w, "report.csv"),
        f"/mentoring/pairs/{pair.id}",
        f"/mentoring/pairs/{pair.id}/report.csv",
    ]
    for url in urls:
        assert leader.get(url).status_code == 200, url
    assert 'href="/mentoring/a/damu-ma/"' in leader.get("/a/damu-ma").get_data(as_text=True)
    assert w.programme.name in mentor.get("/mentoring/").get_data(as_text=True)

    plugin_gate.set_switch("mentoring", False, actor=None, region_id=w.association.region_id)
    for url in urls:
        assert leader.get(url).status_code == 404, url
    assert 'href="/mentoring/a/damu-ma/"' not in leader.get("/a/damu-ma").get_data(as_text=True)
    mine = mentor.get("/mentoring/").get_data(as_text=True)
    assert w.programme.name not in mine and "Жас маман" not in mine

    plugin_gate.set_switch("mentoring", True, actor=None, region_id=w.association.region_id)
    assert leader.get(programme_url(w)).status_code == 200
