"""Topics and posts: writing, quoting, mentions, edits with history, soft delete, accepted
answers, watching and notifications, the daily digest."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.extensions import db
from core.models import Notification
from core.services import jobs
from plugins.forum import services as svc
from plugins.forum.models import ForumPost, ForumRevision, ForumTopic
from plugins.forum.tests.forumkit import topic, world


def _notes(user, kind=None):
    stmt = select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return db.session.scalars(stmt).all()


def test_create_question_with_errors_kept_then_published(app, client, factory, login, post):
    w = world(factory)
    login(client, w.member)
    bad = post(
        client,
        f"/forum/b/{w.board.id}/new",
        {"title": "Жо", "kind": "question", "body": "Жылдық әдістемелік хатты қалай қолданамыз?"},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Жылдық әдістемелік хатты қалай қолданамыз?" in html  # kept
    assert 'class="error"' in html
    assert db.session.scalar(select(func.count(ForumTopic.id))) == 0
    resp = post(
        client,
        f"/forum/b/{w.board.id}/new",
        {
            "title": "Әдістемелік хат 2026-2027",
            "kind": "question",
            "body": "Жылдық **әдістемелік хатты** қалай қолданамыз?",
        },
    )
    t = db.session.scalar(select(ForumTopic))
    assert resp.headers["Location"].endswith(f"/forum/t/{t.id}")
    page = client.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "<strong>әдістемелік хатты</strong>" in page
    assert "Question" in page
    board = client.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    assert "Әдістемелік хат 2026-2027" in board


def test_quote_reply_and_mentions(app, client, factory, login, post):
    w = world(factory)
    t = topic(w.board, w.member, body="Сабақ жоспарының үлгісі керек")
    first = db.session.scalar(select(ForumPost).where(ForumPost.topic_id == t.id))
    login(client, w.member2)
    form = client.get(f"/forum/t/{t.id}/reply?quote={first.id}").get_data(as_text=True)
    assert "&gt; **Дана Ахметова**" in form
    assert "&gt; Сабақ жоспарының үлгісі керек" in form
    body = f"> **Дана Ахметова** [wrote](/forum/p/{first.id}):\n> Сабақ жоспарының үлгісі керек\n\n"
    body += "Міне үлгі. @Айгүл_Серікова, қарап шығыңызшы. @Бөтен_Адам"
    resp = post(client, f"/forum/t/{t.id}/reply", {"body": body})
    assert resp.status_code == 302
    page = client.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "<blockquote>" in page and "Міне үлгі" in page
    # members' mentions link to their profiles; an outsider's name stays plain text
    assert f'<a class="mention" href="/u/{w.leader.id}">@Айгүл_Серікова</a>' in page
    assert "@Бөтен_Адам" in page and f'href="/u/{w.outsider.id}"' not in page
    mention = _notes(w.leader, "forum.mention")
    assert len(mention) == 1 and "Ержан Нұрланов" in mention[0].title
    assert mention[0].url.startswith("/forum/p/")
    assert _notes(w.outsider) == []  # not a member: no notification
    # the topic's author watches it: told about the reply
    assert len(_notes(w.member, "forum.reply")) == 1


def test_mute_stops_mentions_and_replies(app, client, factory, login, post):
    w = world(factory)
    t = topic(w.board, w.member)
    svc.set_watch(w.leader, "muted", topic_id=t.id)
    svc.set_watch(w.member, "muted", topic_id=t.id)
    db.session.commit()
    login(client, w.member2)
    post(client, f"/forum/t/{t.id}/reply", {"body": "@Айгүл_Серікова @Дана_Ахметова"})
    assert _notes(w.leader) == [] and _notes(w.member) == []


def test_board_watchers_hear_of_new_topics(app, client, factory, login, post):
    w = world(factory)
    login(client, w.leader)
    post(client, f"/forum/b/{w.board.id}/watch", {"level": "watching"})
    c2 = app.test_client()
    login(c2, w.member)
    post(
        c2,
        f"/forum/b/{w.board.id}/new",
        {"title": "Жаңа тақырып", "kind": "discussion", "body": "мәтін"},
    )
    notes = _notes(w.leader, "forum.new_topic")
    assert len(notes) == 1 and "Жаңа тақырып" in notes[0].title
    assert _notes(w.member2) == []  # normal level: nothing


def test_edit_keeps_history_for_moderators(app, client, factory, login, post):
    w = world(factory)
    t = topic(w.board, w.member, title="Бастапқы тақырып", body="Бірінші нұсқа")
    p = db.session.scalar(select(ForumPost).where(ForumPost.topic_id == t.id))
    login(client, w.member)
    resp = post(
        client, f"/forum/p/{p.id}/edit", {"title": "Түзетілген тақырып", "body": "Екінші нұсқа"}
    )
    assert resp.status_code == 302
    page = client.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Екінші нұсқа" in page and "edited" in page and "Түзетілген тақырып" in page
    assert f"/forum/p/{p.id}/history" not in page
    assert client.get(f"/forum/p/{p.id}/history").status_code == 403
    rev = db.session.scalar(select(ForumRevision))
    assert rev.body == "Бірінші нұсқа" and rev.title == "Бастапқы тақырып"
    # another member cannot edit
    c2 = app.test_client()
    login(c2, w.member2)
    assert post(c2, f"/forum/p/{p.id}/edit", {"body": "бұзу"}).status_code == 403
    c3 = app.test_client()
    login(c3, w.moderator)
    page = c3.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert f"/forum/p/{p.id}/history" in page
    hist = c3.get(f"/forum/p/{p.id}/history").get_data(as_text=True)
    assert "Бірінші нұсқа" in hist and "Бастапқы тақырып" in hist


def test_soft_delete_and_restore(app, client, factory, login, post):
    w = world(factory)
    t = topic(w.board, w.member, replies=[(w.member2, "Қате жазылған жауап")])
    reply = db.session.scalar(select(ForumPost).where(ForumPost.number == 2))
    login(client, w.member2)
    post(client, f"/forum/p/{reply.id}/delete")
    assert db.session.get(ForumPost, reply.id).deleted_at is not None  # kept, marked
    c_member = app.test_client()
    login(c_member, w.member)
    page = c_member.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Қате жазылған жауап" not in page and "This message was deleted." in page
    c_mod = app.test_client()
    login(c_mod, w.moderator)
    assert "Қате жазылған жауап" in c_mod.get(f"/forum/t/{t.id}").get_data(as_text=True)
    # a member may not restore someone else's post
    assert post(c_member, f"/forum/p/{reply.id}/restore").status_code == 403
    post(c_mod, f"/forum/p/{reply.id}/restore")
    assert "Қате жазылған жауап" in c_member.get(f"/forum/t/{t.id}").get_data(as_text=True)


def test_accepted_answer(app, client, factory, login, post):
    w = world(factory)
    t = topic(
        w.board,
        w.member,
        title="ҚМЖ қалай толтырылады?",
        kind="question",
        replies=[(w.member2, "Бағалау критерийлерін жазыңыз"), (w.leader, "Басқа жауап")],
    )
    answer = db.session.scalar(select(ForumPost).where(ForumPost.number == 2))
    # another member may not accept
    login(client, w.leader)
    other = db.session.scalar(select(ForumPost).where(ForumPost.number == 3))
    c2 = app.test_client()
    login(c2, w.member2)
    assert post(c2, f"/forum/p/{answer.id}/accept").status_code == 403
    c3 = app.test_client()
    login(c3, w.member)
    post(c3, f"/forum/p/{answer.id}/accept")
    assert db.session.get(ForumTopic, t.id).accepted_post_id == answer.id
    page = c3.get(f"/forum/t/{t.id}").get_data(as_text=True)
    box = page.index("Accepted answer")
    assert box < page.index(f'id="p{answer.id}"')  # shown under the question, before the thread
    board = c3.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    assert "Answered" in board
    assert len(_notes(w.member2, "forum.accepted")) == 1
    # a moderator may change it
    c4 = app.test_client()
    login(c4, w.moderator)
    post(c4, f"/forum/p/{other.id}/accept")
    assert db.session.get(ForumTopic, t.id).accepted_post_id == other.id


def _utc(*args) -> dt.datetime:
    return dt.datetime(*args)  # naive UTC, as stored


def test_daily_digest_is_idempotent(app, client, factory, login, post):
    w = world(factory)
    login(client, w.member)
    post(client, "/forum/digest", {"digest": "1"})
    t = topic(w.board, w.member2, title="Кешегі тақырып")
    t.created_at = _utc(2026, 12, 1, 15, 0)  # 20:00 on 1 December in Almaty
    db.session.commit()
    send = _utc(2026, 12, 2, 2, 5)  # 07:05 on 2 December in Almaty
    # As `qauym jobs run` does; forced twice in a row: the second run sends nothing.
    assert jobs.run_due(send, force=True)["forum.digest"] == "ran"
    assert jobs.run_due(send + dt.timedelta(minutes=5), force=True)["forum.digest"] == "ran"
    notes = _notes(w.member, "forum.digest")
    assert len(notes) == 1 and "Кешегі тақырып" in notes[0].body
    assert _notes(w.member2, "forum.digest") == []  # not subscribed
    report = jobs.run_due(send + dt.timedelta(hours=2))
    assert report["forum.digest"] == "ran"
    assert len(_notes(w.member, "forum.digest")) == 1


def test_digest_email_links_every_topic_and_has_no_reply_address(make_app, factory, login, post):
    """A digest answers no one topic: no Reply-To even with reply by email on; each topic has
    its absolute link and the email says replies go through them."""
    from core.models import OutboxEmail

    app = make_app(plugins="forum", DEFAULT_LOCALE="en", REPLY_DOMAIN="reply.qauym.test")
    with app.app_context():
        w = world(factory)
        client = app.test_client()
        login(client, w.member)
        post(client, "/forum/digest", {"digest": "1"})
        first = topic(w.board, w.member2, title="Бірінші тақырып")
        second = topic(w.board, w.leader, title="Екінші тақырып")
        for t in (first, second):
            t.created_at = _utc(2026, 12, 1, 15, 0)
        db.session.commit()
        jobs.run_due(_utc(2026, 12, 2, 2, 5), force=True)
        mail = db.session.scalars(
            select(OutboxEmail).where(
                OutboxEmail.user_id == w.member.id, OutboxEmail.kind == "forum.digest"
            )
        ).one()
        assert "Reply-To" not in (mail.headers or {})
        assert f"• Бірінші тақырып\n  http://localhost/forum/t/{first.id}\n" in mail.body
        assert f"• Екінші тақырып\n  http://localhost/forum/t/{second.id}\n" in mail.body
        assert "open a topic by its link: replies to this email are not posted" in mail.body
        assert "You can answer by replying to this email" not in mail.body


def test_daily_digest_follows_the_site_day_not_the_utc_date(app, client, factory, login, post):
    """Keyed on the Almaty date and sent after 07:00 there: 22:30 UTC is 03:30 the next day
    in Almaty (too early), 18:59 UTC is 23:59 (the same site day as 07:05 that morning)."""
    w = world(factory)
    login(client, w.member)
    post(client, "/forum/digest", {"digest": "1"})
    t = topic(w.board, w.member2, title="Түнгі тақырып")
    t.created_at = _utc(2026, 12, 1, 20, 0)  # 01:00 on 2 December in Almaty
    db.session.commit()

    jobs.run_due(_utc(2026, 12, 1, 22, 30), force=True)  # 03:30 in Almaty: before 07:00
    assert _notes(w.member, "forum.digest") == []
    jobs.run_due(_utc(2026, 12, 2, 2, 0), force=True)  # 07:00 in Almaty: sent
    assert len(_notes(w.member, "forum.digest")) == 1
    jobs.run_due(_utc(2026, 12, 2, 18, 59), force=True)  # 23:59: the same site day
    assert len(_notes(w.member, "forum.digest")) == 1

    t2 = topic(w.board, w.member2, title="Жаңа күн")
    t2.created_at = _utc(2026, 12, 2, 19, 30)  # 00:30 on 3 December in Almaty
    db.session.commit()
    jobs.run_due(_utc(2026, 12, 2, 20, 0), force=True)  # 01:00 on 3 December: too early
    assert len(_notes(w.member, "forum.digest")) == 1
    jobs.run_due(_utc(2026, 12, 3, 2, 30), force=True)  # 07:30 on 3 December: the next one
    notes = _notes(w.member, "forum.digest")
    assert len(notes) == 2 and any("Жаңа күн" in n.body for n in notes)


def test_daily_digest_time_is_configurable(make_app, factory, login, post):
    app = make_app(plugins="forum", DEFAULT_LOCALE="en", FORUM_DIGEST_TIME="09:30")
    with app.app_context():
        client = app.test_client()
        w = world(factory)
        login(client, w.member)
        post(client, "/forum/digest", {"digest": "1"})
        t = topic(w.board, w.member2, title="Кешегі тақырып")
        t.created_at = _utc(2026, 12, 1, 15, 0)
        db.session.commit()
        jobs.run_due(_utc(2026, 12, 2, 4, 0), force=True)  # 09:00 in Almaty
        assert _notes(w.member, "forum.digest") == []
        jobs.run_due(_utc(2026, 12, 2, 4, 30), force=True)  # 09:30 in Almaty
        assert len(_notes(w.member, "forum.digest")) == 1
