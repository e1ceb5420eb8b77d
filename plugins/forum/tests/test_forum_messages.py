"""Issue 15: private messages between members (one-to-one and small groups), the inbox with
unread counts, notifications and email, blocking, and reports seen only by moderators of a
shared association."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select

from core.extensions import db
from core.models import Notification, OutboxEmail
from plugins.forum.message_models import (
    ForumConversation,
    ForumMessage,
    ForumMessageReport,
)
from plugins.forum.tests.forumkit import world

T0 = dt.datetime(2026, 10, 12, 6, 0)  # 11:00 in Almaty, outside quiet hours


@pytest.fixture(autouse=True)
def _daytime():
    with time_machine.travel(T0, tick=False):
        yield


def _as(app, user):
    from core.testing import sign_in_as

    c = app.test_client()
    sign_in_as(c, user)
    return c


def _send(post, client, to, subject="Сабақ жоспары", body="Сәлеметсіз бе! Жоспарды жібересіз бе?"):
    data = {"subject": subject, "body": body, "send": "1", "to": [str(u.id) for u in to]}
    return post(client, "/forum/messages/new", data)


def test_a_member_writes_another_who_reads_and_answers(app, factory, post):
    w = world(factory)
    dana, yerzhan = _as(app, w.member), _as(app, w.member2)
    resp = _send(post, dana, [w.member2])
    assert resp.status_code == 302
    conv = db.session.scalar(select(ForumConversation))
    assert resp.headers["Location"].endswith(f"/forum/messages/{conv.id}")

    # The recipient is told in the app and by email, with a link to the conversation.
    note = db.session.scalar(select(Notification).where(Notification.user_id == w.member2.id))
    assert note.kind == "forum.message" and "Сабақ жоспары" in note.title
    assert note.url.startswith(f"/forum/messages/{conv.id}")
    mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.user_id == w.member2.id))
    assert "Жоспарды жібересіз бе?" in mail.body and f"/forum/messages/{conv.id}" in mail.body
    assert (
        db.session.scalar(select(Notification).where(Notification.user_id == w.member.id)) is None
    )

    # The inbox shows one unread message; reading the conversation clears it.
    inbox = yerzhan.get("/forum/messages").get_data(as_text=True)
    assert "Сабақ жоспары" in inbox and "unread-count" in inbox
    page = yerzhan.get(f"/forum/messages/{conv.id}").get_data(as_text=True)
    assert "Жоспарды жібересіз бе?" in page
    assert "unread-count" not in yerzhan.get("/forum/messages").get_data(as_text=True)

    resp = post(yerzhan, f"/forum/messages/{conv.id}/reply", {"body": "Иә, ертең жіберемін."})
    assert resp.status_code == 302
    assert "unread-count" in dana.get("/forum/messages").get_data(as_text=True)
    assert "Иә, ертең жіберемін." in dana.get(f"/forum/messages/{conv.id}").get_data(as_text=True)


def test_outsiders_never_see_a_conversation(app, factory, post):
    w = world(factory)
    admin = factory.user(full_name="Сайт Әкімшісі", is_site_admin=True)
    _send(post, _as(app, w.member), [w.member2], body="Құпия хабар")
    conv = db.session.scalar(select(ForumConversation))
    msg = db.session.scalar(select(ForumMessage))
    for who in (w.leader, w.moderator, w.outsider, admin):
        c = _as(app, who)
        assert c.get(f"/forum/messages/{conv.id}").status_code == 404
        assert "Құпия хабар" not in c.get("/forum/messages").get_data(as_text=True)
        assert post(c, f"/forum/messages/{conv.id}/reply", {"body": "кірдім"}).status_code == 404
        assert c.get(f"/forum/messages/m/{msg.id}/report").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/forum/messages/{conv.id}").status_code in (302, 401)
    assert db.session.scalar(select(func.count(ForumMessage.id))) == 1


def test_only_people_of_ones_associations_can_be_found_and_written_to(app, factory, post):
    w = world(factory)
    dana = _as(app, w.member)
    page = post(dana, "/forum/messages/new", {"find": "Ержан", "look": "1"})
    assert "Ержан Нұрланов" in page.get_data(as_text=True)
    page = post(dana, "/forum/messages/new", {"find": "Бөтен", "look": "1"})
    assert "Бөтен Адам" not in page.get_data(as_text=True)
    # A posted id of a stranger is refused with a field error, and what was typed is kept.
    resp = _send(post, dana, [w.outsider], body="Танысайық")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Бөтен Адам" in text and "Танысайық" in text
    assert db.session.scalar(select(func.count(ForumConversation.id))) == 0
    # Nobody chosen, no subject: field errors, nothing stored.
    resp = post(dana, "/forum/messages/new", {"subject": "", "body": "x", "send": "1"})
    assert resp.status_code == 200
    assert db.session.scalar(select(func.count(ForumConversation.id))) == 0


def test_a_group_conversation_has_a_limit(app, factory, post):
    app.config["FORUM_MESSAGE_MAX_RECIPIENTS"] = 2
    w = world(factory)
    dana = _as(app, w.member)
    resp = _send(post, dana, [w.member2, w.leader, w.moderator])
    assert resp.status_code == 200
    assert db.session.scalar(select(func.count(ForumConversation.id))) == 0
    assert _send(post, dana, [w.member2, w.leader]).status_code == 302
    conv = db.session.scalar(select(ForumConversation))
    assert {p.user_id for p in conv.participants} == {w.member.id, w.member2.id, w.leader.id}
    # Both recipients are told; the leader can read and answer.
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "forum.message")
    )
    assert set(told) == {w.member2.id, w.leader.id}
    aigul = _as(app, w.leader)
    assert post(aigul, f"/forum/messages/{conv.id}/reply", {"body": "Келістім"}).status_code == 302


def test_a_blocked_member_cannot_write(app, factory, post):
    w = world(factory)
    dana, yerzhan = _as(app, w.member), _as(app, w.member2)
    _send(post, dana, [w.member2])
    conv = db.session.scalar(select(ForumConversation))
    assert post(yerzhan, f"/forum/messages/block/{w.member.id}").status_code == 302
    assert "Дана Ахметова" in yerzhan.get("/forum/messages/blocked").get_data(as_text=True)
    # No new conversation, no reply in the shared one, and not offered in the search.
    assert _send(post, dana, [w.member2], subject="Тағы").status_code == 200
    assert db.session.scalar(select(func.count(ForumConversation.id))) == 1
    resp = post(dana, f"/forum/messages/{conv.id}/reply", {"body": "Неге жауап бермейсіз?"})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count(ForumMessage.id))) == 1
    found = post(dana, "/forum/messages/new", {"find": "Ержан", "look": "1"})
    assert "Ержан Нұрланов" not in found.get_data(as_text=True)
    # The one who blocked may still write; after unblocking the other may again.
    assert (
        post(yerzhan, f"/forum/messages/{conv.id}/reply", {"body": "Жазбаңыз"}).status_code == 302
    )
    post(yerzhan, f"/forum/messages/unblock/{w.member.id}")
    assert post(dana, f"/forum/messages/{conv.id}/reply", {"body": "Кешіріңіз"}).status_code == 302


def test_a_reported_message_reaches_moderators_of_a_shared_association_only(app, factory, post):
    w = world(factory)
    other = factory.association()
    other_mod = factory.member(other, factory.user(full_name="Басқа Модератор"), role="moderator")
    factory.member(other, w.member2)  # shares `other` with the author, not with the reporter
    admin = factory.user(full_name="Сайт Әкімшісі", is_site_admin=True)
    dana, yerzhan = _as(app, w.member), _as(app, w.member2)
    _send(post, yerzhan, [w.member], body="Дөрекі сөз")
    _send(post, yerzhan, [w.member], subject="Екінші", body="Бұл жасырын қалады")
    first = db.session.scalar(select(ForumMessage).order_by(ForumMessage.id))
    # The author cannot report their own message.
    assert yerzhan.get(f"/forum/messages/m/{first.id}/report").status_code == 403
    resp = post(
        dana, f"/forum/messages/m/{first.id}/report", {"reason": "offensive", "note": "Дөрекі"}
    )
    assert resp.status_code == 302
    row = db.session.scalar(select(ForumMessageReport))
    assert row.reason == "offensive"
    # The association's moderators and leader are told; the other association's is not.
    told = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "forum.message_report")
        )
    )
    assert w.moderator.id in told and other_mod.id not in told and w.member2.id not in told

    for who, sees in (
        (w.moderator, True),
        (w.leader, True),
        (admin, True),
        (other_mod, False),
        (w.outsider, False),
        (w.member2, False),
    ):
        page = _as(app, who).get("/forum/messages/reports").get_data(as_text=True)
        assert ("Дөрекі сөз" in page) is sees, who.full_name
        assert "Бұл жасырын қалады" not in page  # the rest is never shown
    # The moderator still cannot open the conversation itself.
    mod = _as(app, w.moderator)
    assert mod.get(f"/forum/messages/{first.conversation_id}").status_code == 404
    assert post(_as(app, other_mod), f"/forum/messages/reports/{row.id}/resolve").status_code == 403
    assert post(mod, f"/forum/messages/reports/{row.id}/resolve").status_code == 302
    assert "Дөрекі сөз" not in mod.get("/forum/messages/reports").get_data(as_text=True)


def test_profile_offers_a_message_and_home_shows_unread(app, factory, post):
    w = world(factory)
    dana = _as(app, w.member)
    profile = dana.get(f"/u/{w.member2.id}").get_data(as_text=True)
    assert f"/forum/messages/new?to={w.member2.id}" in profile
    form = dana.get(f"/forum/messages/new?to={w.member2.id}").get_data(as_text=True)
    assert f'value="{w.member2.id}" checked' in form
    stranger = dana.get(f"/u/{w.outsider.id}").get_data(as_text=True)
    assert "/forum/messages/new?to=" not in stranger
    _send(post, dana, [w.member2])
    home = _as(app, w.member2).get("/").get_data(as_text=True)
    assert "/forum/messages" in home and "1 unread private message" in home
