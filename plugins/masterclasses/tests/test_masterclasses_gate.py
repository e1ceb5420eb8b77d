"""Switched off for the deployment or for a region: no events URL, tab, reminder or feed
entry there."""

from __future__ import annotations

import datetime as dt
import re

from core.services import jobs, plugin_gate
from core.timeutil import utcnow
from plugins.masterclasses import services
from plugins.masterclasses.tests.helpers import make_event


def test_left_out_of_the_deployment(make_app, factory):
    app = make_app(plugins="")
    with app.app_context():
        factory.association(slug="damu")
        client = app.test_client()
        for url in (
            "/masterclasses/",
            "/masterclasses/a/damu",
            "/masterclasses/a/damu/feed.ics",
            "/masterclasses/feed/abc.ics",
            "/masterclasses/1",
            "/masterclasses/calendar",
        ):
            assert client.get(url).status_code == 404, url
        assert "/masterclasses" not in client.get("/a/damu").get_data(as_text=True)
        assert "/masterclasses" not in client.get("/").get_data(as_text=True)
        assert not [j for j in jobs.all_jobs() if j.name.startswith("masterclasses.")]


def test_switched_off_for_a_region(client, factory, login, post):
    off_region, on_region = factory.region(), factory.region()
    off = factory.association(slug="off-assoc", region_id=off_region.id)
    on = factory.association(slug="on-assoc", region_id=on_region.id)
    admin = factory.user(is_site_admin=True)
    hidden = make_event(off, title="Өшірілген аймақ семинары")
    shown = make_event(on, title="Қосылған аймақ семинары")
    teacher = factory.user()
    for ev in (hidden, shown):
        services.register(ev.id, teacher)
    login(client, teacher)
    post(client, "/masterclasses/my/feed")
    feed = re.search(
        r"/masterclasses/feed/[\w-]+\.ics", client.get("/masterclasses/my").get_data(as_text=True)
    ).group(0)
    assert "Өшірілген" in client.get(feed).get_data(as_text=True)

    plugin_gate.set_switch("masterclasses", False, actor=admin, region_id=off_region.id)

    for url in (
        f"/masterclasses/{hidden.id}",
        f"/masterclasses/{hidden.id}.ics",
        "/masterclasses/a/off-assoc",
        "/masterclasses/a/off-assoc/feed.ics",
        "/masterclasses/a/off-assoc/new",
    ):
        assert client.get(url).status_code == 404, url
    assert post(client, f"/masterclasses/{hidden.id}/cancel").status_code == 404
    assert 'href="/masterclasses/a/off-assoc"' not in client.get("/a/off-assoc").get_data(
        as_text=True
    )
    assert 'href="/masterclasses/a/on-assoc"' in client.get("/a/on-assoc").get_data(as_text=True)
    listing = client.get("/masterclasses/").get_data(as_text=True)
    assert "Өшірілген" not in listing and "Қосылған" in listing
    my = client.get("/masterclasses/my").get_data(as_text=True)
    assert "Өшірілген" not in my and "Қосылған" in my
    body = client.get(feed).get_data(as_text=True)
    assert "Өшірілген" not in body and "Қосылған" in body
    assert "Өшірілген" not in client.get("/search?q=семинары").get_data(as_text=True)

    soon = utcnow() + dt.timedelta(days=3) - dt.timedelta(minutes=30)
    assert services.send_reminders(soon) == 1  # only the event where the plugin is on
