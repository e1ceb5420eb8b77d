"""A member's recent forum activity on the profile: what the viewer may read only (board
permissions, the plugin gate), hidden, deleted, pending and anonymous posts left out."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.services import plugin_gate
from plugins.forum import services as svc
from plugins.forum.models import ForumPost
from plugins.forum.tests.forumkit import topic, world


def _section(client, user):
    html = client.get(f"/u/{user.id}").get_data(as_text=True)
    if 'class="profile-activity"' not in html:
        return ""
    return html.split('class="profile-activity"')[1].split("</section>")[0]


def test_profile_lists_what_the_viewer_may_read(app, client, factory, login):
    w = world(factory)
    inner = topic(w.board, w.member, title="Ішкі тақырып")
    public = topic(w.public, w.leader, title="Ашық тақырып", replies=[(w.member, "Жауап")])
    started = topic(w.public, w.member, title="Менің тақырыбым")
    for title, change in [
        ("Жасырын", {"hidden": True}),
        ("Жойылған", {"deleted_at": started.created_at}),
        ("Күтуде", {"approved": False}),
        ("Анонимді", {"anonymous": True}),
    ]:
        t = topic(w.public, w.leader, title=title)
        p = svc.add_post(t, w.member, "мәтін")
        for k, v in change.items():
            setattr(p, k, v)
    db.session.commit()
    reply = db.session.scalar(
        select(ForumPost).where(ForumPost.topic_id == public.id, ForumPost.number == 2)
    )
    client.set_cookie("lang", "en")
    anonymous = _section(client, w.member)
    assert "Менің тақырыбым" in anonymous and "Ашық тақырып" in anonymous
    assert f'href="/forum/p/{reply.id}"' in anonymous
    assert "Started the topic" in anonymous and "Replied" in anonymous
    assert "Ішкі тақырып" not in anonymous
    for hidden in ("Жасырын", "Жойылған", "Күтуде", "Анонимді"):
        assert hidden not in anonymous
    login(client, w.member2)
    member = _section(client, w.member)
    assert "Ішкі тақырып" in member
    assert member.count("<li>") == 3
    assert inner.id  # listed through its opening post
    # The forum switched off in the association's region: nothing from it.
    admin = factory.user(is_site_admin=True)
    plugin_gate.set_switch("forum", False, actor=admin, region_id=w.association.region_id)
    db.session.commit()
    assert _section(client, w.member) == ""
    # Someone without posts has no section.
    assert _section(client, w.outsider) == ""


def test_profile_shows_at_most_ten_newest_first(app, client, factory):
    w = world(factory)
    t = topic(w.public, w.leader, title="Көп жауап")
    for n in range(12):
        svc.add_post(t, w.member, f"жауап {n}")
    db.session.commit()
    section = _section(client, w.member)
    assert section.count("<li>") == 10
