"""Tags on topics: set by the author on a new topic, edited by the author or a moderator,
shown on the topic and in lists, and the association's list of topics with a tag (board read
permissions, hidden and pending topics left out)."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from plugins.forum import tags
from plugins.forum.models import ForumTopic, ForumTopicTag
from plugins.forum.tests.forumkit import topic, world


def test_normalise_and_parse():
    assert tags.normalise("#Алгебра!") == "алгебра"
    assert tags.normalise("Ёлка") == "елка"
    assert tags.normalise("---") == ""
    assert tags.parse("Алгебра, 7-сынып  #алгебра; STEM") == ["алгебра", "7-сынып", "stem"]
    assert len(tags.normalise("ы" * 80)) == 30


def _new_topic(client, post, board, tag_text):
    return post(
        client,
        f"/forum/b/{board.id}/new",
        {"title": "Бөлшектер тақырыбы", "kind": "discussion", "body": "Мәтін", "tags": tag_text},
    )


def test_author_tags_a_new_topic_and_lists_show_them(app, client, factory, login, post):
    w = world(factory)
    login(client, w.member)
    client.set_cookie("lang", "en")
    bad = _new_topic(client, post, w.board, "a b c d e f")
    assert bad.status_code == 200 and "At most 5 tags." in bad.get_data(as_text=True)
    assert 'value="a b c d e f"' in bad.get_data(as_text=True)  # kept
    assert db.session.scalar(select(ForumTopic.id)) is None
    resp = _new_topic(client, post, w.board, "Алгебра, 7-сынып")
    assert resp.status_code == 302
    t = db.session.scalar(select(ForumTopic))
    assert t.tags == "алгебра 7-сынып"
    slug = w.association.slug
    page = client.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert f'href="/forum/a/{slug}/tag/%D0%B0%D0%BB%D0%B3%D0%B5%D0%B1%D1%80%D0%B0"' in page
    assert "#7-сынып" in page and "Edit tags" in page
    assert "#алгебра" in client.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    assert "#алгебра" in client.get("/forum/").get_data(as_text=True)


def test_tag_page_respects_board_permissions_and_visibility(app, client, factory, login):
    w = world(factory)
    inner = topic(w.board, w.member, title="Ішкі алгебра")
    open_ = topic(w.public, w.member, title="Ашық алгебра")
    hidden = topic(w.public, w.member, title="Жойылған алгебра")
    other = factory.association(slug="other")
    for t in (inner, open_, hidden):
        tags.set_tags(t, ["алгебра"])
    hidden.deleted_at = hidden.created_at
    db.session.commit()
    url = f"/forum/a/{w.association.slug}/tag/Алгебра"
    anonymous = client.get(url).get_data(as_text=True)
    assert "Ашық алгебра" in anonymous
    assert "Ішкі алгебра" not in anonymous and "Жойылған алгебра" not in anonymous
    login(client, w.member2)
    member = client.get(url).get_data(as_text=True)
    assert "Ашық алгебра" in member and "Ішкі алгебра" in member
    assert "Жойылған" not in member
    assert client.get(f"/forum/a/{other.slug}/tag/алгебра").status_code in (200, 404)
    assert "Ашық алгебра" not in client.get(f"/forum/a/{other.slug}/tag/алгебра").get_data(
        as_text=True
    )
    assert client.get(f"/forum/a/{w.association.slug}/tag/%23%23").status_code == 404


def test_author_and_moderators_edit_tags_others_may_not(app, client, factory, login, post):
    w = world(factory)
    t = topic(w.public, w.member, title="Тақырып")
    login(client, w.member2)
    assert client.get(f"/forum/t/{t.id}/tags").status_code == 403
    assert post(client, f"/forum/t/{t.id}/tags", {"tags": "спам"}).status_code == 403
    assert "Add tags" not in client.get(f"/forum/t/{t.id}").get_data(as_text=True)
    login(client, w.member)
    client.set_cookie("lang", "ru")
    form = client.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert f"/forum/t/{t.id}/tags" in form
    bad = post(client, f"/forum/t/{t.id}/tags", {"tags": "1 2 3 4 5 6"})
    assert bad.status_code == 400 and "Не больше 5 меток." in bad.get_data(as_text=True)
    assert post(client, f"/forum/t/{t.id}/tags", {"tags": "геометрия"}).status_code == 302
    login(client, w.moderator)
    assert (
        post(client, f"/forum/t/{t.id}/tags", {"tags": "геометрия, олимпиада"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(ForumTopic, t.id).tags == "геометрия олимпиада"
    rows = db.session.scalars(select(ForumTopicTag.tag).where(ForumTopicTag.topic_id == t.id))
    assert sorted(rows) == ["геометрия", "олимпиада"]
    assert post(client, f"/forum/t/{t.id}/tags", {"tags": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ForumTopic, t.id).tags == ""
    assert db.session.scalar(select(ForumTopicTag.tag)) is None
