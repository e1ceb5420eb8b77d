"""Issue 15: drafts kept on the server (a "Save draft" button, autosave endpoint), a preview
rendered with the same sanitiser, and bookmarks with a reminder sent by a job."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from core.extensions import db
from core.models import Notification
from core.services import jobs
from plugins.forum.message_models import ForumBookmark, ForumDraft
from plugins.forum.models import ForumBoard, ForumPost, ForumTopic
from plugins.forum.tests.forumkit import topic, world

T0 = dt.datetime(2026, 10, 12, 6, 0)  # 11:00 in Almaty


@pytest.fixture(autouse=True)
def _daytime():
    with time_machine.travel(T0, tick=False):
        yield


def _as(app, user):
    from core.testing import sign_in_as

    c = app.test_client()
    sign_in_as(c, user)
    return c


def test_a_topic_draft_is_saved_restored_and_deleted_when_published(app, factory, post):
    w = world(factory)
    dana = _as(app, w.member)
    url = f"/forum/b/{w.board.id}/new"
    data = {"title": "Жоба әдісі", "kind": "discussion", "body": "Ойларым әлі толық емес"}
    resp = post(dana, url, {**data, "save_draft": "1"})
    assert resp.status_code == 200 and "Жоба әдісі" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ForumTopic.id))) == 0
    draft = db.session.scalar(select(ForumDraft))
    assert (draft.key, draft.title, draft.body) == (
        f"board:{w.board.id}",
        "Жоба әдісі",
        "Ойларым әлі толық емес",
    )
    # Opening the form again restores it; another member does not see it.
    page = dana.get(url).get_data(as_text=True)
    assert "Ойларым әлі толық емес" in page and 'value="Жоба әдісі"' in page
    assert "Ойларым" not in _as(app, w.member2).get(url).get_data(as_text=True)
    # Publishing deletes the draft.
    assert post(dana, url, data).status_code == 302
    assert db.session.scalar(select(func.count(ForumDraft.id))) == 0


def test_a_reply_draft_and_the_autosave_endpoint(app, factory, post):
    w = world(factory)
    t = topic(w.board, w.member2)
    dana = _as(app, w.member)
    resp = post(dana, "/forum/drafts", {"key": f"topic:{t.id}", "body": "Жартылай жауап"})
    assert resp.status_code == 200 and resp.get_json()["saved"] is True
    assert "Жартылай жауап" in dana.get(f"/forum/t/{t.id}/reply").get_data(as_text=True)
    assert 'class="card draft-link"' in dana.get(f"/forum/t/{t.id}").get_data(as_text=True)
    # The endpoint checks the key: a board the writer cannot post on, or garbage, is a 404.
    other = factory.association()
    closed = ForumBoard(association_id=other.id, name="Жабық")
    db.session.add(closed)
    db.session.commit()
    for key in (f"board:{closed.id}", "topic:x", "nonsense", f"topic:{2**70}"):
        assert post(dana, "/forum/drafts", {"key": key, "body": "x"}).status_code == 404
    assert (
        post(
            _as(app, w.outsider), "/forum/drafts", {"key": f"topic:{t.id}", "body": "x"}
        ).status_code
        == 404
    )
    assert post(dana, f"/forum/t/{t.id}/reply", {"body": "Толық жауап"}).status_code == 302
    assert db.session.scalar(select(func.count(ForumDraft.id))) == 0
    assert "draft-link" not in dana.get(f"/forum/t/{t.id}").get_data(as_text=True)


def test_preview_renders_with_the_sanitiser_and_stores_nothing(app, factory, post):
    w = world(factory)
    dana = _as(app, w.member)
    body = "**Маңызды** <script>alert(1)</script> [сілтеме](javascript:alert(2))"
    resp = post(
        dana,
        f"/forum/b/{w.board.id}/new",
        {"title": "Алдын ала қарау", "kind": "discussion", "body": body, "preview": "1"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    preview = html.split('class="card preview"')[1].split("</section>")[0]
    assert "<strong>Маңызды</strong>" in preview
    assert "<script>alert" not in preview and 'href="javascript' not in preview
    assert "&lt;script&gt;alert(1)" in preview
    assert "Алдын ала қарау" in html  # the title typed is kept
    assert db.session.scalar(select(func.count(ForumTopic.id))) == 0
    assert db.session.scalar(select(func.count(ForumDraft.id))) == 0


def test_bookmarks_with_a_reminder(app, factory, post):
    w = world(factory)
    t = topic(w.board, w.member2, body="Пайдалы кеңес")
    first = db.session.scalar(select(func.min(ForumPost.id)).where(ForumPost.topic_id == t.id))
    dana = _as(app, w.member)
    assert "/bookmark" in dana.get(f"/forum/t/{t.id}").get_data(as_text=True)
    # A time in the past is a field error, nothing stored.
    resp = post(
        dana, f"/forum/p/{first}/bookmark", {"note": "Оқу", "remind_at": "2026-10-01T09:00"}
    )
    assert resp.status_code == 200
    assert db.session.scalar(select(func.count(ForumBookmark.id))) == 0
    # 15:00 in Almaty on the 13th is 10:00 UTC.
    resp = post(
        dana, f"/forum/p/{first}/bookmark", {"note": "Оқу", "remind_at": "2026-10-13T15:00"}
    )
    assert resp.status_code == 302
    bm = db.session.scalar(select(ForumBookmark))
    assert bm.remind_at == dt.datetime(2026, 10, 13, 10, 0)
    page = dana.get("/forum/bookmarks").get_data(as_text=True)
    assert "Тақырып" in page and "Оқу" in page
    # Outsiders cannot bookmark a members-only post; nobody else sees the list.
    assert _as(app, w.outsider).get(f"/forum/p/{first}/bookmark").status_code in (403, 404)
    assert "Оқу" not in _as(app, w.member2).get("/forum/bookmarks").get_data(as_text=True)

    def reminders():
        return db.session.scalars(
            select(Notification.title).where(Notification.kind == "forum.bookmark_reminder")
        ).all()

    jobs.run_due(dt.datetime(2026, 10, 13, 9, 55), force=True)
    assert reminders() == []
    jobs.run_due(dt.datetime(2026, 10, 13, 10, 0), force=True)
    jobs.run_due(dt.datetime(2026, 10, 13, 10, 5), force=True)
    assert reminders() == ["Reminder: Тақырып"]  # once
    assert post(dana, f"/forum/bookmarks/{bm.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(ForumBookmark.id))) == 0
