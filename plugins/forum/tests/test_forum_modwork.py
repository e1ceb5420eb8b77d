"""Issue 15: moderators hear of waiting work, see counts, and read the moderation log."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from plugins.forum.models import ForumPost, ForumTopic
from plugins.forum.tests.forumkit import topic, world

T0 = dt.datetime(2026, 10, 12, 6, 0)  # 11:00 in Almaty, outside quiet hours


def _client(app, login, user):
    c = app.test_client()
    login(c, user)
    return c


def _work(user) -> list[str]:
    return db.session.scalars(
        select(Notification.title).where(
            Notification.user_id == user.id, Notification.kind == "forum.moderation_work"
        )
    ).all()


def test_a_post_waiting_for_approval_tells_the_moderators(app, factory, login, post):
    w = world(factory, premoderate=True)
    with time_machine.travel(T0, tick=False):
        member = _client(app, login, w.member)
        post(
            member,
            f"/forum/b/{w.board.id}/new",
            {"title": "Директор туралы", "kind": "discussion", "body": "Тексерілсін"},
        )
        assert db.session.scalar(select(ForumTopic)).approved is False
        assert _work(w.moderator) == ["Forum: a message waits for approval in “Директор туралы”"]
        # The association has a moderator: the leader is not disturbed, nor the author.
        assert _work(w.leader) == [] and _work(w.member) == []
        t = db.session.scalar(select(ForumTopic))
        url = db.session.scalar(
            select(Notification.url).where(Notification.kind == "forum.moderation_work")
        )
        assert url.endswith(f"/forum/a/{w.association.slug}/queue")
        # A reply that waits tells them again.
        first = db.session.scalar(select(ForumPost))
        mod = _client(app, login, w.moderator)
        post(mod, f"/forum/p/{first.id}/mod/approve")
        post(member, f"/forum/t/{t.id}/reply", {"body": "Тағы бір хабар"})
        assert len(_work(w.moderator)) == 2


def test_a_new_flag_tells_the_moderators_and_counts_show(app, factory, login, post):
    w = world(factory)
    t = topic(w.board, w.member, replies=[(w.member2, "Жарнама: арзан курстар!")])
    ad = db.session.scalar(select(ForumPost).where(ForumPost.number == 2))
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        member = _client(app, login, w.member)
        post(member, f"/forum/p/{ad.id}/flag", {"reason": "spam", "note": "жарнама"})
        assert _work(w.moderator) == [f"Forum: a message in “{t.title}” was flagged"]
        mod = _client(app, login, w.moderator)
        page = mod.get(f"/forum/a/{w.association.slug}").get_data(as_text=True)
        flags_link = page.split("Flags to review</a>")[1][:40]
        assert '<span class="tag">1</span>' in flags_link
        queue_link = page.split("Approval queue</a>")[1][:40]
        assert '<span class="tag">0</span>' in queue_link
        # Members see neither the links nor the counts.
        page = member.get(f"/forum/a/{w.association.slug}").get_data(as_text=True)
        assert "Flags to review" not in page


def test_without_a_moderator_the_leaders_are_told(app, factory, login, post):
    from core.models import Membership

    w = world(factory, premoderate=True)
    db.session.execute(
        db.update(Membership).where(Membership.user_id == w.moderator.id).values(role="member")
    )
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        member = _client(app, login, w.member)
        post(
            member,
            f"/forum/b/{w.board.id}/new",
            {"title": "Сұрақ", "kind": "discussion", "body": "Мәтін"},
        )
    assert len(_work(w.leader)) == 1 and _work(w.moderator) == []


def test_the_associations_moderators_read_its_moderation_log(app, factory, login, post):
    w = world(factory)
    with time_machine.travel(T0, tick=False):
        url = f"/forum/a/{w.association.slug}/log"
        mod = _client(app, login, w.moderator)
        assert mod.get(url).status_code == 200
        page = mod.get(f"/forum/a/{w.association.slug}").get_data(as_text=True)
        assert url in page
        assert _client(app, login, w.member).get(url).status_code == 403
        other = factory.association(slug="other-assoc")
        assert mod.get(f"/forum/a/{other.slug}/log").status_code == 403


def test_a_moderator_lifts_a_ban_before_it_expires(app, factory, login, post):
    from plugins.forum.models import ForumBan, ForumModLog

    w = world(factory)
    t = topic(w.board, w.leader)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        mod = _client(app, login, w.moderator)
        bans = f"/forum/b/{w.board.id}/bans"
        post(mod, bans, {"user_id": str(w.member.id), "days": "7", "reason": "Спам"})
        ban = db.session.scalar(select(ForumBan))
        assert "Lift the ban" in mod.get(bans).get_data(as_text=True)
        member = _client(app, login, w.member)
        post(member, f"/forum/t/{t.id}/reply", {"body": "Тыйым кезінде"})
        assert db.session.scalar(select(ForumPost).where(ForumPost.body == "Тыйым кезінде")) is None
        # A member cannot lift it.
        assert post(member, f"/forum/bans/{ban.id}/lift").status_code == 403
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        mod = _client(app, login, w.moderator)
        assert post(mod, f"/forum/bans/{ban.id}/lift").status_code == 302
        db.session.expire_all()
        assert db.session.get(ForumBan, ban.id).until == T0 + dt.timedelta(days=1)
        assert "Nobody is banned." in mod.get(bans).get_data(as_text=True)
        log = db.session.scalar(select(ForumModLog).where(ForumModLog.action == "board.unban"))
        assert log.actor_id == w.moderator.id and log.details == w.member.full_name
        member = _client(app, login, w.member)
        post(member, f"/forum/t/{t.id}/reply", {"body": "Тыйымнан кейін"})
        assert db.session.scalar(select(ForumPost).where(ForumPost.body == "Тыйымнан кейін"))
