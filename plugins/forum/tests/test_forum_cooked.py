"""Posts are shown from their stored ("cooked") HTML: rendered and sanitised once when written,
re-rendered by ``qauym forum recook``; the XSS corpus holds on the stored HTML."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.services import markdown
from plugins.forum.models import ForumBoard, ForumPost, ForumTopic
from plugins.forum.tests.forumkit import world
from plugins.forum.tests.test_forum_xss import PAYLOADS, assert_clean


def _first(topic_id: int) -> ForumPost:
    return db.session.scalar(
        select(ForumPost).where(ForumPost.topic_id == topic_id, ForumPost.number == 1)
    )


def test_stored_html_is_sanitised_and_is_what_pages_show(app, client, factory, login, post):
    w = world(factory)
    login(client, w.member)
    for i, payload in enumerate(PAYLOADS):
        resp = post(
            client,
            f"/forum/b/{w.public.id}/new",
            {"title": f"Тақырып {i}", "kind": "discussion", "body": f"{payload}\n\nмәтін {i}"},
        )
        assert resp.status_code == 302
    posts = db.session.scalars(select(ForumPost).order_by(ForumPost.id)).all()
    assert len(posts) == len(PAYLOADS)
    for p in posts:
        assert p.cooked_version == markdown.VERSION
        assert p.body_html == str(markdown.render(p.body))
        assert_clean(p.body_html, f"stored {p.id}")  # the corpus on the stored HTML itself
    # the page shows the stored HTML, not a fresh rendering: a marker put in the stored
    # column appears, and the page stays clean
    p = posts[0]
    db.session.execute(
        ForumPost.__table__.update()
        .where(ForumPost.id == p.id)
        .values(body_html="<p>из-хранилища</p>")
    )
    db.session.commit()
    page = client.get(f"/forum/t/{p.topic_id}").get_data(as_text=True)
    assert "из-хранилища" in page
    assert_clean(page, "topic")
    # a row cooked by an older renderer is rendered afresh until recooked
    db.session.execute(
        ForumPost.__table__.update().where(ForumPost.id == p.id).values(cooked_version=0)
    )
    db.session.commit()
    page = client.get(f"/forum/t/{p.topic_id}").get_data(as_text=True)
    assert "из-хранилища" not in page and "мәтін 0" in page
    assert_clean(page, "topic, stale row")


def test_recook_command_renders_stale_rows_again(app, client, factory, login, post):
    w = world(factory)
    login(client, w.member)
    for body in ("**а**", "_б_"):
        new = {"title": f"Тақырып {body}", "kind": "discussion", "body": body}
        assert post(client, f"/forum/b/{w.board.id}/new", new).status_code == 302
    stale, fresh = db.session.scalars(select(ForumPost).order_by(ForumPost.id)).all()
    db.session.execute(
        ForumPost.__table__.update()
        .where(ForumPost.id == stale.id)
        .values(body_html="old", cooked_version=0)
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["forum", "recook"])
    assert result.exit_code == 0, result.output
    assert "1 posts" in result.output  # only the stale one
    db.session.expire_all()
    assert db.session.get(ForumPost, stale.id).body_html == "<p><strong>а</strong></p>\n"
    assert db.session.get(ForumPost, stale.id).cooked_version == markdown.VERSION
    result = app.test_cli_runner().invoke(args=["forum", "recook", "--all"])
    assert "2 posts" in result.output


def test_pending_edit_is_cooked_aside_and_shown_only_to_its_author(
    app, client, factory, login, post
):
    w = world(factory)
    login(client, w.member)
    new = {"title": "Тақырып", "kind": "discussion", "body": "ескі"}
    assert post(client, f"/forum/b/{w.board.id}/new", new).status_code == 302
    topic = db.session.scalar(select(ForumTopic))
    db.session.get(ForumBoard, w.board.id).premoderate = True
    db.session.commit()
    first = _first(topic.id)
    edit = {"title": "Тақырып", "body": "**жаңа** <script>x</script>"}
    post(client, f"/forum/p/{first.id}/edit", edit)
    db.session.expire_all()
    first = _first(topic.id)
    assert first.pending_html == str(markdown.render(first.pending_body))
    assert "<script" not in first.pending_html
    mine = client.get(f"/forum/t/{topic.id}").get_data(as_text=True)
    assert "<strong>жаңа</strong>" in mine
    other = app.test_client()
    login(other, w.member2)
    theirs = other.get(f"/forum/t/{topic.id}").get_data(as_text=True)
    assert "ескі" in theirs and "жаңа" not in theirs
    mod = app.test_client()
    login(mod, w.moderator)
    post(mod, f"/forum/p/{first.id}/mod/approve")
    db.session.expire_all()
    first = _first(topic.id)
    assert first.body_html == "<p><strong>жаңа</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
    assert first.pending_html is None
    assert "<strong>жаңа</strong>" in other.get(f"/forum/t/{topic.id}").get_data(as_text=True)
