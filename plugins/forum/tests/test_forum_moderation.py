"""Moderation: pre-moderation, first posts held, flags, pin/lock/move/hide/delete, bans, the
moderation log, and that members cannot moderate by a direct POST."""

from __future__ import annotations

import datetime as dt

import time_machine
from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from plugins.forum.models import ForumBoard, ForumModLog, ForumPost, ForumRevision, ForumTopic
from plugins.forum.tests.forumkit import topic, world


def _client(app, login, user):
    c = app.test_client()
    login(c, user)
    return c


def test_premoderated_board_holds_posts_until_approved(app, factory, login, post):
    w = world(factory, premoderate=True)
    member = _client(app, login, w.member)
    post(
        member,
        f"/forum/b/{w.board.id}/new",
        {"title": "Директор туралы", "kind": "discussion", "body": "Тексерілуі керек мәтін"},
    )
    t = db.session.scalar(select(ForumTopic))
    assert t.approved is False
    # the board lists it to its author, marked as waiting, and to nobody else but moderators
    # (the list's statement is built once: the reader's id is a parameter of each visit)
    listed = member.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    assert "Директор туралы" in listed and "Waiting for approval" in listed
    other = _client(app, login, w.member2)
    assert "Директор туралы" not in other.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    assert "Директор туралы" not in app.test_client().get(f"/forum/b/{w.board.id}").get_data(
        as_text=True
    )
    assert other.get(f"/forum/t/{t.id}").status_code == 404
    # the author sees it, marked as waiting
    assert "Waiting for approval" in member.get(f"/forum/t/{t.id}").get_data(as_text=True)
    mod = _client(app, login, w.moderator)
    assert "Директор туралы" in mod.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    queue = mod.get(f"/forum/a/{w.association.slug}/queue").get_data(as_text=True)
    assert "Тексерілуі керек мәтін" in queue
    first = db.session.scalar(select(ForumPost))
    assert post(other, f"/forum/p/{first.id}/mod/approve").status_code == 404  # cannot see it
    post(mod, f"/forum/p/{first.id}/mod/approve")
    assert "Директор туралы" in other.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    told = db.session.scalars(
        select(Notification.title).where(
            Notification.user_id == w.member.id, Notification.kind == "forum.moderation"
        )
    ).all()
    assert told == ["Your message in Директор туралы was approved"]
    assert "post.approve" in db.session.scalars(select(ForumModLog.action)).all()


def test_first_posts_of_a_member_are_held(app, factory, login, post):
    w = world(factory, moderate_first_posts=1)
    t = topic(w.board, w.leader)
    member = _client(app, login, w.member)
    post(member, f"/forum/t/{t.id}/reply", {"body": "Алғашқы хабарым"})
    p1 = db.session.scalar(select(ForumPost).where(ForumPost.body == "Алғашқы хабарым"))
    assert p1.approved is False
    assert db.session.get(ForumTopic, t.id).reply_count == 0
    # another member does not see it on the topic page, its author does, a moderator does
    # (the page's statement is built once: the reader's id is a parameter of each visit)
    reader = _client(app, login, w.member2)
    assert "Алғашқы хабарым" not in reader.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Алғашқы хабарым" in member.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Алғашқы хабарым" not in reader.get(f"/forum/t/{t.id}").get_data(as_text=True)
    mod = _client(app, login, w.moderator)
    assert "Алғашқы хабарым" in mod.get(f"/forum/t/{t.id}").get_data(as_text=True)
    # a member who read the topic sees nothing new: the waiting post is not theirs to see
    assert "1 new" not in reader.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    post(mod, f"/forum/p/{p1.id}/mod/approve")
    assert db.session.get(ForumTopic, t.id).reply_count == 1
    assert "1 new" in reader.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    post(member, f"/forum/t/{t.id}/reply", {"body": "Екінші хабарым"})
    p2 = db.session.scalar(select(ForumPost).where(ForumPost.body == "Екінші хабарым"))
    assert p2.approved is True  # one approved post was enough


def test_flags_review_agree_hides_and_tells_flagger(app, factory, login, post):
    w = world(factory)
    t = topic(
        w.board, w.member, replies=[(w.member2, "Жарнама: арзан курстар!"), (w.member2, "Пікір")]
    )
    ad = db.session.scalar(select(ForumPost).where(ForumPost.number == 2))
    opinion = db.session.scalar(select(ForumPost).where(ForumPost.number == 3))
    member = _client(app, login, w.member)
    post(member, f"/forum/p/{ad.id}/flag", {"reason": "spam", "note": "жарнама"})
    post(member, f"/forum/p/{opinion.id}/flag", {"reason": "offensive"})
    mod = _client(app, login, w.moderator)
    flags = mod.get(f"/forum/a/{w.association.slug}/flags").get_data(as_text=True)
    assert "Жарнама: арзан курстар!" in flags and "жарнама" in flags
    from plugins.forum.models import ForumFlag

    f_ad, f_op = db.session.scalars(select(ForumFlag).order_by(ForumFlag.id)).all()
    # a member cannot resolve flags
    assert post(member, f"/forum/flags/{f_ad.id}/agree").status_code == 403
    post(mod, f"/forum/flags/{f_ad.id}/agree")
    post(mod, f"/forum/flags/{f_op.id}/disagree")
    assert db.session.get(ForumPost, ad.id).hidden is True
    assert db.session.get(ForumPost, opinion.id).hidden is False
    page = member.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "арзан курстар" not in page and "hidden by a moderator" in page
    notes = db.session.scalars(
        select(Notification.title).where(
            Notification.user_id == w.member.id, Notification.kind == "forum.flag_result"
        )
    ).all()
    assert len(notes) == 2
    assert any("hidden" in n for n in notes) and any("no action" in n for n in notes)
    actions = db.session.scalars(select(ForumModLog.action)).all()
    assert "flag.agree" in actions and "flag.disagree" in actions


def test_pin_lock_move_hide_delete_and_log(app, factory, login, post):
    w = world(factory)
    other_board = ForumBoard(association_id=w.association.id, name="Архив", position=3)
    foreign = world(factory).board  # another association's board
    db.session.add(other_board)
    db.session.commit()
    t = topic(
        w.board, w.member, title="Модерацияланатын тақырып", replies=[(w.member2, "Дөрекі сөз")]
    )
    rude = db.session.scalar(select(ForumPost).where(ForumPost.number == 2))
    member = _client(app, login, w.member)
    mod = _client(app, login, w.moderator)
    # members cannot do any of it by direct POST
    for url, data in [
        (f"/forum/t/{t.id}/mod/pin", {}),
        (f"/forum/t/{t.id}/mod/lock", {}),
        (f"/forum/t/{t.id}/mod/delete", {}),
        (f"/forum/t/{t.id}/move", {"board_id": other_board.id}),
        (f"/forum/p/{rude.id}/mod/hide", {}),
        (f"/forum/b/{w.board.id}/bans", {"user_id": w.member2.id, "days": 3}),
    ]:
        assert post(member, url, data).status_code == 403, url
    post(mod, f"/forum/t/{t.id}/mod/pin")
    post(mod, f"/forum/t/{t.id}/mod/lock")
    post(mod, f"/forum/p/{rude.id}/mod/hide")
    topic_row = db.session.get(ForumTopic, t.id)
    assert topic_row.pinned and topic_row.locked
    page = member.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "This topic is locked" in page and "Дөрекі сөз" not in page
    assert post(member, f"/forum/t/{t.id}/reply", {"body": "кеш жауап"}).status_code == 403
    # moving only within the association
    assert post(mod, f"/forum/t/{t.id}/move", {"board_id": foreign.id}).status_code == 400
    post(mod, f"/forum/t/{t.id}/move", {"board_id": other_board.id})
    assert db.session.get(ForumTopic, t.id).board_id == other_board.id
    post(mod, f"/forum/t/{t.id}/mod/delete")
    assert member.get(f"/forum/t/{t.id}").status_code == 404
    post(mod, f"/forum/t/{t.id}/mod/restore")
    assert member.get(f"/forum/t/{t.id}").status_code == 200
    log_actions = db.session.scalars(select(ForumModLog.action).order_by(ForumModLog.id)).all()
    assert log_actions == [
        "topic.pin",
        "topic.lock",
        "post.hide",
        "topic.move",
        "topic.delete",
        "topic.restore",
    ]
    # the log: leaders and the association's moderators read it, members do not
    leader = _client(app, login, w.leader)
    log_page = leader.get(f"/forum/a/{w.association.slug}/log").get_data(as_text=True)
    assert "Topic moved" in log_page and "Марат Оспанов" in log_page
    assert member.get(f"/forum/a/{w.association.slug}/log").status_code == 403
    assert mod.get(f"/forum/a/{w.association.slug}/log").status_code == 200


def test_banned_member_cannot_post_on_that_board(app, factory, login, post):
    w = world(factory)
    t = topic(w.board, w.leader)
    mod = _client(app, login, w.moderator)
    resp = post(
        mod,
        f"/forum/b/{w.board.id}/bans",
        {"user_id": w.member2.id, "days": 7, "reason": "жарнама"},
    )
    assert resp.status_code == 302
    banned = _client(app, login, w.member2)
    assert post(banned, f"/forum/t/{t.id}/reply", {"body": "тағы жарнама"}).status_code == 403
    assert banned.get(f"/forum/b/{w.board.id}/new").status_code == 403
    assert banned.get(f"/forum/t/{t.id}").status_code == 200  # may still read
    # other boards are not affected
    assert banned.get(f"/forum/b/{w.public.id}/new").status_code == 200
    # an outsider cannot be banned (not a member), with the error on the page
    bad = post(mod, f"/forum/b/{w.board.id}/bans", {"user_id": w.outsider.id, "days": 7})
    assert "Not a member of this association." in bad.get_data(as_text=True)
    assert "board.ban" in db.session.scalars(select(ForumModLog.action)).all()


def test_a_ban_takes_the_reply_form_and_new_topic_link_away_until_it_ends(
    app, factory, login, post
):
    # The pages read the ban in the reader's statement, compared with the time of the request
    # (a bound parameter of a statement built once: queries._active_ban_id).
    t0 = dt.datetime(2026, 10, 12, 6, 0)
    w = world(factory)
    t = topic(w.board, w.leader)
    reply_form = f'action="/forum/t/{t.id}/reply"'
    new_topic = f'href="/forum/b/{w.board.id}/new"'
    with time_machine.travel(t0, tick=False):
        mod = _client(app, login, w.moderator)
        assert post(mod, f"/forum/b/{w.board.id}/bans", {"user_id": w.member2.id, "days": 3})
        banned = _client(app, login, w.member2)
    for when, shown in (
        (t0 + dt.timedelta(days=2, hours=23), False),
        (t0 + dt.timedelta(days=3, minutes=1), True),
    ):
        with time_machine.travel(when, tick=False):
            assert (reply_form in banned.get(f"/forum/t/{t.id}").get_data(as_text=True)) is shown
            assert (
                new_topic in banned.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
            ) is shown
    # the other member was never banned
    with time_machine.travel(t0 + dt.timedelta(days=1), tick=False):
        other = _client(app, login, w.member)
        assert reply_form in other.get(f"/forum/t/{t.id}").get_data(as_text=True)
        assert new_topic in other.get(f"/forum/b/{w.board.id}").get_data(as_text=True)


def test_edit_on_premoderated_board_waits_while_readers_keep_the_approved_version(
    app, factory, login, post
):
    w = world(factory, premoderate=True)
    t = topic(w.board, w.member, title="Бастапқы тақырып", body="Бастапқы мәтін")
    first = db.session.scalar(select(ForumPost).where(ForumPost.topic_id == t.id))
    author = _client(app, login, w.member)
    author.set_cookie("lang", "kk")
    form = author.get(f"/forum/p/{first.id}/edit").get_data(as_text=True)
    assert "Бастапқы мәтін" in form

    resp = post(
        author,
        f"/forum/p/{first.id}/edit",
        {"title": "Жарнама тақырыбы", "body": "Тексерілмеген жарнама"},
        follow_redirects=True,
    )
    page = resp.get_data(as_text=True)
    waiting_kk = "Түзетуіңіз модератордың мақұлдауын күтуде"
    assert waiting_kk in page  # the flash and the note on the post, in the author's language
    assert "Тексерілмеген жарнама" in page  # the author sees what they wrote
    # ...and goes on from it when editing again
    assert "Тексерілмеген жарнама" in author.get(f"/forum/p/{first.id}/edit").get_data(as_text=True)

    reader = _client(app, login, w.member2)
    seen = reader.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Бастапқы мәтін" in seen and "Бастапқы тақырып" in seen
    assert "Тексерілмеген жарнама" not in seen and "Жарнама тақырыбы" not in seen
    found = reader.get("/forum/search?q=жарнама").get_data(as_text=True)
    assert "Тексерілмеген жарнама" not in found and f"/forum/t/{t.id}" not in found

    mod = _client(app, login, w.moderator)
    queue = mod.get(f"/forum/a/{w.association.slug}/queue").get_data(as_text=True)
    assert "Тексерілмеген жарнама" in queue and "Жарнама тақырыбы" in queue
    assert "An edit of this message is waiting for approval." in mod.get(
        f"/forum/t/{t.id}"
    ).get_data(as_text=True)
    assert post(reader, f"/forum/p/{first.id}/mod/approve").status_code == 403
    post(mod, f"/forum/p/{first.id}/mod/approve")

    seen = reader.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Тексерілмеген жарнама" in seen and "Жарнама тақырыбы" in seen
    assert "Бастапқы мәтін" not in seen
    assert "Тексерілмеген" in reader.get("/forum/search?q=жарнама").get_data(as_text=True)
    assert waiting_kk not in author.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert db.session.scalars(select(ForumRevision.body)).all() == ["Бастапқы мәтін"]
    told = db.session.scalars(
        select(Notification.title).where(
            Notification.user_id == w.member.id, Notification.kind == "forum.moderation"
        )
    ).all()
    assert told == ["Your edit in Жарнама тақырыбы was approved"]
    assert "Тексерілмеген жарнама" not in mod.get(f"/forum/a/{w.association.slug}/queue").get_data(
        as_text=True
    )

    # A moderator's own edit is shown at once.
    edit = {"title": "Жарнама тақырыбы", "body": "Модератор түзетті"}
    post(mod, f"/forum/p/{first.id}/edit", edit)
    assert "Модератор түзетті" in reader.get(f"/forum/t/{t.id}").get_data(as_text=True)


def test_rejected_edit_leaves_the_approved_post_and_is_logged(app, factory, login, post):
    w = world(factory, premoderate=True)
    t = topic(w.board, w.leader, replies=[(w.member, "Дұрыс жауап")])
    reply = db.session.scalar(select(ForumPost).where(ForumPost.number == 2))
    author = _client(app, login, w.member)
    post(author, f"/forum/p/{reply.id}/edit", {"body": "Бұзылған жауап"})
    mod = _client(app, login, w.moderator)
    post(mod, f"/forum/p/{reply.id}/mod/reject")

    db.session.expire_all()
    kept = db.session.get(ForumPost, reply.id)
    assert (kept.body, kept.approved, kept.deleted_at, kept.pending_body) == (
        "Дұрыс жауап",
        True,
        None,
        None,
    )
    reader = _client(app, login, w.member2)
    assert "Дұрыс жауап" in reader.get(f"/forum/t/{t.id}").get_data(as_text=True)
    logged = db.session.scalar(select(ForumModLog).where(ForumModLog.action == "post.reject_edit"))
    assert logged.details == "Бұзылған жауап"
    assert (
        "Your edit in Тақырып was not approved"
        in db.session.scalars(
            select(Notification.title).where(Notification.user_id == w.member.id)
        ).all()
    )
