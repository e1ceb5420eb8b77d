"""Attachments, reactions, polls, anonymous posting, questions to officials, search, Atom."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from plugins.forum import services as svc
from plugins.forum.models import ForumAttachment, ForumPost, ForumTopic
from plugins.forum.tests.forumkit import topic, world

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture
def app(make_app):
    app = make_app(plugins="forum", MAX_UPLOAD_MB=1, DEFAULT_LOCALE="en")
    with app.app_context():
        yield app


@pytest.fixture(params=["local", "s3"])
def attach_app(make_app, request):
    """The forum app with files in the local folder, or in a bucket of a real S3-speaking
    server on loopback (moto's standalone server)."""
    settings = {}
    if request.param == "s3":
        s3_server = request.getfixturevalue("s3_server")
        settings = s3_server.config(f"forum-{uuid.uuid4().hex[:16]}", prefix="qauym/files")
    app = make_app(plugins="forum", MAX_UPLOAD_MB=1, DEFAULT_LOCALE="en", **settings)
    with app.app_context():
        yield app


def _client(app, login, user):
    c = app.test_client()
    login(c, user)
    return c


def test_attachments_typed_by_content_and_served_to_readers_only(attach_app, factory, login, post):
    app = attach_app
    w = world(factory)
    member = _client(app, login, w.member)
    bad = post(
        member,
        f"/forum/b/{w.board.id}/new",
        {
            "title": "Жоспар",
            "kind": "discussion",
            "body": "Қосымшада",
            "attachments": (io.BytesIO(b"MZ\x90\x00 not a document"), "plan.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 200
    assert "This type of file is not accepted" in bad.get_data(as_text=True)
    assert db.session.scalar(select(ForumTopic)) is None  # nothing half-written
    doc = docx_bytes()
    resp = post(
        member,
        f"/forum/b/{w.board.id}/new",
        {
            "title": "Жоспар",
            "kind": "discussion",
            "body": "Қосымшада",
            "attachments": [(io.BytesIO(doc), "ҚМЖ 5-сынып.docx"), (io.BytesIO(PNG), "сурет.png")],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    docx, png = db.session.scalars(select(ForumAttachment).order_by(ForumAttachment.id)).all()
    assert docx.kind == "docx" and png.kind == "png"
    assert "ҚМЖ" not in docx.path and docx.path.startswith("forum/")
    t = db.session.scalar(select(ForumTopic))
    page = member.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "ҚМЖ 5-сынып.docx" in page and f"/forum/att/{png.id}?inline=1" in page
    got = member.get(f"/forum/att/{docx.id}")
    assert got.status_code == 200 and got.data == doc
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert ".docx" in got.headers["Content-Disposition"]
    assert got.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert got.headers["Cache-Control"] == "private, no-store"
    assert int(got.headers["Content-Length"]) == len(doc)
    image = member.get(f"/forum/att/{png.id}?inline=1")
    assert image.data == PNG and image.mimetype == "image/png"
    if app.config.get("STORAGE_URL"):
        s3 = app.extensions["qauym_storage"]
        bucket = s3.bucket
        body = s3.client.get_object(Bucket=bucket, Key=f"qauym/files/{docx.path}")["Body"]
        assert body.read() == doc
    outsider = _client(app, login, w.outsider)
    assert outsider.get(f"/forum/att/{docx.id}").status_code == 403
    assert app.test_client().get(f"/forum/att/{docx.id}").status_code == 302  # to login
    # a hidden post's files are hidden too
    db.session.get(ForumPost, docx.post_id).hidden = True
    db.session.commit()
    assert _client(app, login, w.member2).get(f"/forum/att/{docx.id}").status_code == 404


def test_reactions_toggle(app, factory, login, post):
    w = world(factory)
    t = topic(w.board, w.member, replies=[(w.member2, "Пайдалы кеңес")])
    tip = db.session.scalar(select(ForumPost).where(ForumPost.number == 2))
    c = _client(app, login, w.member)
    post(c, f"/forum/p/{tip.id}/react/thanks")
    post(c, f"/forum/p/{tip.id}/react/agree")
    page = c.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Thanks (1)" in page and "Agree (1)" in page
    post(c, f"/forum/p/{tip.id}/react/agree")
    page = c.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Agree (1)" not in page and "Thanks (1)" in page
    assert post(c, f"/forum/p/{tip.id}/react/love").status_code == 404
    author = _client(app, login, w.member2)
    assert post(author, f"/forum/p/{tip.id}/react/thanks").status_code == 400  # own post


def test_poll_results_after_vote_or_close(app, factory, login, post):
    w = world(factory)
    c = _client(app, login, w.member)
    bad = post(
        c,
        f"/forum/b/{w.board.id}/new",
        {
            "title": "Сауалнама",
            "kind": "discussion",
            "body": "Дауыс беріңіз",
            "poll_question": "Қашан жиналамыз?",
            "poll_options": "Жұма",
        },
    )
    assert "Give between 2 and 20 options." in bad.get_data(as_text=True)
    post(
        c,
        f"/forum/b/{w.board.id}/new",
        {
            "title": "Сауалнама",
            "kind": "discussion",
            "body": "Дауыс беріңіз",
            "poll_question": "Қашан жиналамыз?",
            "poll_options": "Жұма\nСенбі\n",
        },
    )
    t = db.session.scalar(select(ForumTopic))
    from plugins.forum.models import ForumPoll

    poll = db.session.scalar(select(ForumPoll))
    friday, saturday = poll.options
    other = _client(app, login, w.member2)
    page = other.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Results are shown after you vote" in page
    # single choice: two options refused
    post(other, f"/forum/t/{t.id}/vote", {"option": [str(friday.id), str(saturday.id)]})
    assert "Results are shown after you vote" in other.get(f"/forum/t/{t.id}").get_data(
        as_text=True
    )
    post(other, f"/forum/t/{t.id}/vote", {"option": str(saturday.id)})
    page = other.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Сенбі ✓ — 1 (100%)" in page
    # after closing, everyone sees results and nobody can vote
    poll.closes_at = dt.datetime(2020, 1, 1)
    db.session.commit()
    page = c.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Сенбі — 1" in page and "Closed on" in page
    post(c, f"/forum/t/{t.id}/vote", {"option": str(friday.id)})
    from plugins.forum.models import ForumPollVote

    assert len(db.session.scalars(select(ForumPollVote)).all()) == 1


def test_anonymous_author_hidden_from_members_shown_to_moderators(app, factory, login, post):
    w = world(factory, allow_anonymous=True)
    author = _client(app, login, w.member)
    post(
        author,
        f"/forum/b/{w.board.id}/new",
        {
            "title": "Біздің мектептегі жағдай",
            "kind": "discussion",
            "body": "Директор жиналысты түнде өткізеді",
            "anonymous": "y",
        },
    )
    t = db.session.scalar(select(ForumTopic))
    first = db.session.scalar(select(ForumPost))
    member = _client(app, login, w.member2)
    for url in (
        f"/forum/t/{t.id}",
        f"/forum/b/{w.board.id}",
        "/forum/",
        f"/forum/t/{t.id}/reply?quote={first.id}",
    ):
        html = member.get(url).get_data(as_text=True)
        assert "Дана Ахметова" not in html, url
        assert "Anonymous" in html, url
    # an author filter in search does not unmask it
    found = member.get(f"/forum/search?q=директор&author={w.member.id}").get_data(as_text=True)
    assert "Директор жиналысты" not in found
    mod = _client(app, login, w.moderator)
    assert "Дана Ахметова" in mod.get(f"/forum/t/{t.id}").get_data(as_text=True)
    # the public board does not allow it: the checkbox is ignored
    post(
        author,
        f"/forum/b/{w.public.id}/new",
        {"title": "Ашық", "kind": "discussion", "body": "мәтін", "anonymous": "y"},
    )
    assert (
        db.session.scalar(select(ForumTopic).where(ForumTopic.title == "Ашық")).anonymous is False
    )
    # replying anonymously: watchers are told by "Anonymous", never by name
    svc.set_watch(w.leader, "watching", topic_id=t.id)
    db.session.commit()
    post(author, f"/forum/t/{t.id}/reply", {"body": "Тағы бір жайт", "anonymous": "y"})
    note = db.session.scalar(select(Notification).where(Notification.user_id == w.leader.id))
    assert note.title.startswith("Anonymous replied") and "Дана" not in note.title
    # the author reveals later
    post(author, f"/forum/p/{first.id}/reveal")
    assert "Дана Ахметова" in member.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert post(member, f"/forum/p/{first.id}/reveal").status_code == 403


def test_questions_to_officials(app, factory, login, post):
    w = world(factory, officials=True)
    c = _client(app, login, w.member)
    bad = post(
        c,
        f"/forum/b/{w.board.id}/new",
        {
            "title": "Оқулықтар",
            "kind": "discussion",
            "body": "?",
            "addressed_to": "Аудандық білім бөлімі",
        },
    )
    assert "Only a question can be addressed to officials." in bad.get_data(as_text=True)
    post(
        c,
        f"/forum/b/{w.board.id}/new",
        {
            "title": "Оқулықтар қашан келеді?",
            "kind": "question",
            "body": "Сұрақ",
            "addressed_to": "Аудандық білім бөлімі",
        },
    )
    t = db.session.scalar(select(ForumTopic))
    assert t.official_status == "open"
    listing = c.get(f"/forum/a/{w.association.slug}/addressed").get_data(as_text=True)
    assert "Оқулықтар қашан келеді?" in listing and "Аудандық білім бөлімі" in listing
    official = _client(app, login, w.leader)
    post(official, f"/forum/t/{t.id}/reply", {"body": "Қыркүйектің 1-іне дейін жеткізіледі."})
    answer = db.session.scalar(select(ForumPost).where(ForumPost.number == 2))
    assert post(c, f"/forum/p/{answer.id}/mod/official_answer").status_code == 403
    post(official, f"/forum/p/{answer.id}/mod/official_answer")
    t = db.session.get(ForumTopic, t.id)
    assert t.official_status == "answered" and t.official_post_id == answer.id
    page = c.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert page.index("Official answer") < page.index(f'id="p{answer.id}"')
    open_list = c.get(f"/forum/a/{w.association.slug}/addressed").get_data(as_text=True)
    assert "Оқулықтар қашан келеді?" not in open_list
    answered = c.get(f"/forum/a/{w.association.slug}/addressed?status=answered")
    assert "Оқулықтар қашан келеді?" in answered.get_data(as_text=True)
    post(official, f"/forum/t/{t.id}/official", {"status": "closed"})
    assert db.session.get(ForumTopic, t.id).official_status == "closed"


def test_search_ranked_filtered_highlighted_and_scoped(app, factory, login, post):
    w = world(factory)
    other = world(factory)
    topic(
        w.board,
        w.member,
        title="Әдістемелік хат бойынша сұрақ",
        body="Әдістемелік хатта жаңа талаптар бар ма?",
        replies=[(w.member2, "Иә, хатта бағалау туралы бөлім бар")],
    )
    topic(w.public, w.member2, title="Сабақ жоспары", body="Хат туралы бір ауыз сөз")
    topic(other.board, other.member, title="Бөтен хат", body="Басқа бірлестіктің хаты")
    c = _client(app, login, w.member)
    html = c.get("/forum/search?q=әдістемелік хат").get_data(as_text=True)
    assert "<mark>Әдістемелік</mark>" in html
    assert "Басқа бірлестіктің" not in html  # members-only board of another association
    plain = html.replace("<mark>", "").replace("</mark>", "")
    assert "Әдістемелік хат бойынша сұрақ" in plain
    # ranking: the opening post (title and body match) comes before the reply
    first, reply = db.session.scalars(
        select(ForumPost.id).where(ForumPost.body.like("%хат%")).order_by(ForumPost.id)
    ).all()[:2]
    ranked = c.get("/forum/search?q=хат").get_data(as_text=True)
    assert ranked.index(f'href="/forum/p/{first}"') < ranked.index(f'href="/forum/p/{reply}"')
    only_public = c.get(f"/forum/search?q=хат&board={w.public.id}").get_data(as_text=True)
    assert "Хат туралы бір ауыз сөз" in only_public.replace("<mark>", "").replace("</mark>", "")
    assert "бағалау туралы" not in only_public
    by_author = c.get(f"/forum/search?q=хат&author={w.member2.id}").get_data(as_text=True)
    assert "жаңа талаптар" not in by_author and "бағалау" in by_author
    # the same filter with another value (the statement is built once, the values bound)
    by_other = c.get(f"/forum/search?q=хат&author={w.member.id}").get_data(as_text=True)
    assert "жаңа талаптар" in by_other and "бағалау" not in by_other
    slug = w.association.slug
    in_other = c.get(f"/forum/search?q=хат&association={other.association.slug}")
    assert "Nothing found." in in_other.get_data(as_text=True)  # not readable: no choice
    mine = c.get(f"/forum/search?q=хат&association={slug}").get_data(as_text=True)
    assert "бір ауыз сөз" in mine
    future = c.get("/forum/search?q=хат&since=2999-01-01").get_data(as_text=True)
    assert "Nothing found." in future
    # the core site search includes forum results through the hook
    site = c.get("/search?q=әдістемелік").get_data(as_text=True)
    assert "/forum/p/" in site
    anon = app.test_client().get("/search?q=әдістемелік").get_data(as_text=True)
    assert "/forum/p/" not in anon  # members-only board
    # the other association's member, after them (the readable boards' statement is built
    # once: the reader's associations are bound at each search): their own board, not w's
    theirs = _client(app, login, other.member).get("/forum/search?q=хат").get_data(as_text=True)
    theirs = theirs.replace("<mark>", "").replace("</mark>", "")
    assert "Басқа бірлестіктің" in theirs and "жаңа талаптар" not in theirs


def test_atom_feed_for_public_boards_only(app, factory, client):
    w = world(factory)
    topic(w.public, w.member, title="Ашық тақырып <b>", body="**Мәтін**")
    resp = client.get(f"/forum/b/{w.public.id}/atom.xml")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    xml = resp.get_data(as_text=True)
    assert "<title>Ашық тақырып &lt;b&gt;</title>" in xml
    assert "&lt;strong&gt;Мәтін&lt;/strong&gt;" in xml
    import xml.etree.ElementTree as ET

    feed = ET.fromstring(resp.data)  # noqa: S314 - our own output, checked to be well-formed
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert client.get(f"/forum/b/{w.board.id}/atom.xml").status_code == 404
