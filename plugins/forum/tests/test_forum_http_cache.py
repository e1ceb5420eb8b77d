"""Conditional GET and the anonymous page cache on the forum's topic and board pages
(core.api.cached_page): a 304 answers only while the viewer would see the same page, and a
visitor never gets a page made for someone else."""

from __future__ import annotations

import re

import pytest

from core.extensions import db
from plugins.forum.models import ForumPost
from plugins.forum.tests.forumkit import topic, world

pytestmark = pytest.mark.usefixtures("still_page_keys")

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def first_get(client, url):
    resp = client.get(url)
    assert resp.status_code == 200
    etag = resp.headers["ETag"]
    assert etag.startswith('W/"')
    assert "no-cache" in resp.headers["Cache-Control"]
    assert "private" in resp.headers["Cache-Control"]
    return resp, etag


def revalidate(client, url, etag):
    return client.get(url, headers={"If-None-Match": etag})


def assert_not_modified(client, url, etag):
    resp = revalidate(client, url, etag)
    assert resp.status_code == 304
    assert resp.data == b""
    assert resp.headers["ETag"] == etag


def assert_changed(client, url, etag, *texts):
    resp = revalidate(client, url, etag)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    for text in texts:
        assert text in page
    assert resp.headers["ETag"] != etag
    return resp.headers["ETag"]


def test_topic_page_304_until_a_change_the_member_should_see(app, factory, login, post):
    w = world(factory)
    t = topic(w.board, w.member, body="Бірінші хабар")
    url = f"/forum/t/{t.id}"
    me, other, leader = app.test_client(), app.test_client(), app.test_client()
    login(me, w.member)
    login(other, w.member2)
    login(leader, w.leader)

    _, etag = first_get(me, url)
    assert_not_modified(me, url, etag)

    # A new post by someone else.
    post(other, f"{url}/reply", {"body": "Жаңа жауап келді"})
    etag = assert_changed(me, url, etag, "Жаңа жауап келді")
    assert_not_modified(me, url, etag)

    # An edit of that post.
    reply = db.session.scalars(
        db.select(ForumPost).where(ForumPost.topic_id == t.id, ForumPost.number == 2)
    ).one()
    post(other, f"/forum/p/{reply.id}/edit", {"body": "Түзетілген жауап"})
    etag = assert_changed(me, url, etag, "Түзетілген жауап")
    assert_not_modified(me, url, etag)

    # A role change: as moderator the member gets the moderation controls.
    role_url = f"/a/{w.association.slug}/members/{w.member.id}/role"
    resp = post(leader, role_url, {"role": "moderator"})
    assert resp.status_code == 302
    etag = assert_changed(me, url, etag, f"/forum/t/{t.id}/move")
    assert_not_modified(me, url, etag)

    # A language switch.
    post(me, "/language", {"lang": "ru", "next": url})
    etag = assert_changed(me, url, etag, 'lang="ru"')
    assert_not_modified(me, url, etag)

    # A flashed message waiting in the session (as a view leaves one before a redirect).
    with me.session_transaction() as session:
        session["_flashes"] = [("info", "Баптаулар сақталды")]
    etag = assert_changed(me, url, etag, "Баптаулар сақталды", 'class="flash')
    # The message was shown once; the page without it is another page again.
    etag = assert_changed(me, url, etag)
    assert_not_modified(me, url, etag)


def test_login_and_logout_change_the_topic_page(app, factory, login, post):
    w = world(factory)
    t = topic(w.public, w.member, body="Ашық сұрақ")
    url = f"/forum/t/{t.id}"
    client = app.test_client()
    _, anonymous_tag = first_get(client, url)
    assert_not_modified(client, url, anonymous_tag)

    login(client, w.member)
    member_tag = assert_changed(client, url, anonymous_tag, w.member.full_name)
    assert_not_modified(client, url, member_tag)

    post(client, "/logout")
    resp = revalidate(client, url, member_tag)
    assert resp.status_code == 200
    assert w.member.full_name not in resp.get_data(as_text=True).split("</header>")[0]


def test_a_tag_from_another_session_is_not_revalidated(app, factory):
    """Two anonymous visitors see the same text, but each page holds its own session's CSRF
    token: the other's copy would fail in this session, so it is never confirmed with a 304."""
    w = world(factory)
    t = topic(w.public, w.member)
    url = f"/forum/t/{t.id}"
    first, second = app.test_client(), app.test_client()
    _, tag1 = first_get(first, url)
    _, tag2 = first_get(second, url)
    assert tag1 != tag2
    assert revalidate(second, url, tag1).status_code == 200
    assert revalidate(first, url, tag1).status_code == 304


def test_board_page_304_and_a_new_topic(app, factory, login, post):
    w = world(factory)
    topic(w.public, w.member, title="Ескі тақырып")
    url = f"/forum/b/{w.public.id}"
    visitor = app.test_client()
    _, etag = first_get(visitor, url)
    assert_not_modified(visitor, url, etag)

    author = app.test_client()
    login(author, w.member2)
    resp = post(author, f"{url}/new", {"title": "Мүлде жаңа тақырып", "body": "Мәтіні"})
    assert resp.status_code == 302
    assert_changed(visitor, url, etag, "Мүлде жаңа тақырып")


def header(page: str) -> str:
    return page.split("</header>")[0]


def test_two_members_and_a_visitor_never_get_each_others_page(app, factory, login):
    """The topic page as member A, member B and anonymous, each fetched twice (the second time
    an anonymous copy may come from the page cache): names, menu and CSRF tokens are each
    viewer's own."""
    w = world(factory)
    t = topic(w.public, w.leader, body="Бәріне ашық")
    url = f"/forum/t/{t.id}"
    a, b, anon, anon2 = (app.test_client() for _ in range(4))
    login(a, w.member)
    login(b, w.member2)

    pages = {}
    for name, client in (("a", a), ("anon", anon), ("b", b), ("anon2", anon2)):
        client.get(url)
        resp = client.get(url)
        assert resp.status_code == 200
        page = resp.get_data(as_text=True)
        with client.session_transaction() as session:
            secret = session["csrf_token"]
        tokens = set(TOKEN.findall(page))
        assert tokens, name
        pages[name] = (page, tokens, secret, resp.headers.get("X-Qauym-Cache"))

    # The second anonymous visit of each visitor came from the cache...
    assert pages["anon"][3] == "hit"
    assert pages["anon2"][3] == "hit"
    # ...and never a logged-in one.
    assert pages["a"][3] is None
    assert pages["b"][3] is None

    assert w.member.full_name in header(pages["a"][0])
    assert w.member2.full_name not in header(pages["a"][0])
    assert w.member2.full_name in header(pages["b"][0])
    assert w.member.full_name not in header(pages["b"][0])
    for name in ("anon", "anon2"):
        head = header(pages[name][0])
        assert w.member.full_name not in head
        assert w.member2.full_name not in head
        assert "/logout" not in head
        assert "/login" in head
    assert "/logout" in header(pages["a"][0])
    assert "/logout" in header(pages["b"][0])

    # Every page's tokens belong to its own session only.
    all_tokens = [pages[n][1] for n in pages]
    for i, tokens in enumerate(all_tokens):
        for j, others in enumerate(all_tokens):
            if i != j:
                assert not tokens & others
    from itsdangerous import URLSafeTimedSerializer

    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
    for _page, tokens, secret, _hit in pages.values():
        assert {signer.loads(tok) for tok in tokens} == {secret}


def test_a_members_write_shows_at_once_to_visitors(app, factory, login, post):
    w = world(factory)
    t = topic(w.public, w.leader, body="Бастапқы")
    url = f"/forum/t/{t.id}"
    visitor = app.test_client()
    visitor.get(url)
    assert visitor.get(url).headers.get("X-Qauym-Cache") == "hit"

    member = app.test_client()
    login(member, w.member)
    post(member, f"{url}/reply", {"body": "Қазір жазылды"})
    resp = visitor.get(url)
    assert resp.headers.get("X-Qauym-Cache") is None
    assert "Қазір жазылды" in resp.get_data(as_text=True)


def test_read_markers_do_not_empty_the_page_cache(app, factory, login):
    """A member reading a topic writes only a read marker (bookkeeping no visitor sees)."""
    w = world(factory)
    t = topic(w.public, w.leader, body="Оқылады", replies=[(w.member2, "Жауап")])
    url = f"/forum/t/{t.id}"
    visitor = app.test_client()
    visitor.get(url)
    reader = app.test_client()
    login(reader, w.member)
    reader.get(url)
    assert visitor.get(url).headers.get("X-Qauym-Cache") == "hit"
