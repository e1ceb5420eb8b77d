"""The forum switched off: for the deployment (never registered) and for a region (the admin
switch, effective on the next request)."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from core.services import plugin_gate
from plugins.forum import services as svc
from plugins.forum.models import ForumPost, ForumTopic
from plugins.forum.tests.forumkit import topic, world


def test_disabled_for_the_deployment(make_app, factory, login):
    # A plugin left out of the deployment is never registered, and its tables are not even
    # created in this test database: nothing may touch them.
    app = make_app(plugins="")
    with app.app_context():
        client = app.test_client()
        association = factory.association()
        member = factory.member(association)
        login(client, member)
        for url in (
            "/forum/",
            f"/forum/a/{association.slug}",
            "/forum/b/1",
            "/forum/t/1",
            "/forum/p/1",
            "/forum/search?q=жасырын",
            "/forum/b/1/atom.xml",
        ):
            assert client.get(url).status_code == 404, url
        page = client.get(f"/a/{association.slug}").get_data(as_text=True)
        assert "/forum/" not in page  # neither nav item nor tab
        assert client.get("/search?q=жасырын").status_code == 200
        assert "forum" not in client.get("/healthz").get_json()["plugins"]


def test_disabled_for_a_region_immediately(app, client, factory, login, post):
    w = world(factory)
    elsewhere = world(factory)
    t = topic(w.public, w.member, title="Аймақтағы тақырып", body="аймақтық талқылау")
    topic(elsewhere.public, elsewhere.member, title="Басқа аймақ", body="аймақтық басқа талқылау")
    first = db.session.scalar(select(ForumPost.id).where(ForumPost.topic_id == t.id))
    admin = factory.user(is_site_admin=True)
    w.member.region_id = w.association.region_id  # a teacher of that region
    db.session.commit()
    login(client, w.member)
    assert 'href="/forum/"' in client.get("/").get_data(as_text=True)
    urls = [
        f"/forum/a/{w.association.slug}",
        f"/forum/b/{w.public.id}",
        f"/forum/t/{t.id}",
        f"/forum/p/{first}",
        f"/forum/b/{w.public.id}/atom.xml",
        f"/forum/a/{w.association.slug}/addressed",
        f"/forum/b/{w.public.id}/new",
    ]
    for url in urls:
        assert client.get(url).status_code in (200, 302), url
    assert "Аймақтағы тақырып" in client.get("/forum/").get_data(as_text=True)
    assert f'/forum/p/{first}"' in client.get("/search?q=аймақтық").get_data(as_text=True)

    plugin_gate.set_switch("forum", False, actor=admin, region_id=w.association.region_id)

    for url in urls:
        assert client.get(url).status_code == 404, url
    assert post(client, f"/forum/t/{t.id}/reply", {"body": "кеш"}).status_code == 404
    latest = client.get("/forum/").get_data(as_text=True)
    assert "Аймақтағы тақырып" not in latest
    assert "Басқа аймақ" in latest  # other regions unaffected
    site = client.get("/search?q=аймақтық").get_data(as_text=True)
    assert f'/forum/p/{first}"' not in site
    found = client.get("/forum/search?q=аймақтық").get_data(as_text=True)
    assert "Басқа аймақ" in found.replace("<mark>", "").replace("</mark>", "")
    assert "Аймақтағы" not in found.replace("<mark>", "").replace("</mark>", "")
    page = client.get(f"/a/{w.association.slug}").get_data(as_text=True)
    assert f"/forum/a/{w.association.slug}" not in page  # tab gone
    assert 'href="/forum/"' not in page  # no nav item for a teacher of that region
    # nothing is notified for that association any more
    svc.set_watch(w.member2, "watching", topic_id=t.id)
    with app.test_request_context():
        reply = svc.add_post(db.session.get(ForumTopic, t.id), w.leader, "@Дана_Ахметова")
        db.session.flush()
        svc.notify_new_post(reply, w.leader)
    db.session.commit()
    assert db.session.scalars(select(Notification)).all() == []

    plugin_gate.set_switch("forum", True, actor=admin, region_id=w.association.region_id)
    assert client.get(f"/forum/t/{t.id}").status_code == 200
