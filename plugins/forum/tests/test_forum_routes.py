"""The core's route-permission walk over every forum page: anonymous visitors, outsiders,
members, leaders and site administrators each get exactly what their level allows."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from core.api import site_request_context
from core.extensions import db
from core.testing_routes import assert_route_permissions, seed_world
from plugins.forum import mailing_list, messaging
from plugins.forum import services as svc
from plugins.forum.models import ForumAttachment, ForumBoard, ForumRevision, ForumTopic
from plugins.forum.tests.test_forum_extras import PNG


def test_forum_routes_check_permissions(app, factory):
    world = seed_world(factory)
    a = world.association
    board = ForumBoard(association_id=a.id, name="Ішкі", visibility="members")
    public = ForumBoard(association_id=a.id, name="Ашық", visibility="public")
    db.session.add_all([board, public])
    db.session.flush()
    topic = ForumTopic(
        board_id=board.id,
        association_id=a.id,
        author_id=world.member.id,
        title="Мүшелер тақырыбы",
        kind="question",
    )
    db.session.add(topic)
    own = svc.add_post(topic, world.member, "Менің хабарым")
    leaders = svc.add_post(topic, world.leader, "Жетекшінің жауабы")
    db.session.flush()
    db.session.add(ForumRevision(post_id=own.id, body="ескі", editor_id=world.member.id))
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "forum"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "walk.png").write_bytes(PNG)
    att = ForumAttachment(
        post_id=own.id,
        path="forum/walk.png",
        original_name="сурет.png",
        kind="png",
        mime="image/png",
        size=len(PNG),
    )
    db.session.add(att)
    db.session.flush()
    with site_request_context():
        conv = messaging.start(world.member, [world.leader], "Жеке сұрақ", "Сәлеметсіз бе")
        leaders_message = messaging.add_message(conv, world.leader, "Сәлем")
    db.session.commit()

    assert_route_permissions(
        app,
        world,
        {
            "forum.latest": "public",
            "forum.unread": "login",
            "forum.search": "public",
            "forum.association": "public",
            "forum.addressed": "public",
            "forum.board_atom": "public",
            "forum.board": "member",
            "forum.topic": "member",
            "forum.topic_unread": "member",
            "forum.permalink": "member",
            "forum.attachment": "member",
            "forum.new_topic": "member",
            "forum.reply": "member",
            "forum.edit_post": "member",  # the member wrote the post
            "forum.flag": "member",  # someone else's post
            "forum.history": "manager",
            "forum.new_board": "manager",
            "forum.edit_board": "manager",
            "forum.bans": "manager",
            "forum.queue": "manager",
            "forum.flags": "manager",
            "forum.modlog": "manager",
            "forum.officials": "manager",
            "forum.addressed_to_me": "login",
            "forum.split_topic": "manager",
            "forum.messages": "login",
            "forum.bookmarks": "login",
            "forum.bookmark": "member",
            "forum.new_message": "login",
            "forum.blocked": "login",
            "forum.message_reports": "login",  # an empty list for anyone not a moderator
            "forum.conversation": "member",  # its participants: the member and the leader
            "forum.report_message": "member",  # the leader's message, reported by the member
            "forum.mailing_unsubscribe": "public",  # the signed link of a mailing-list email
            "forum.mention_suggestions": "member",  # those who may write in the board
            "forum.edit_tags": "member",  # the member started the topic
            "forum.tag": "public",  # topics of boards the reader may read
        },
        arg_defaults={
            "board_id": lambda w: board.id,
            "topic_id": lambda w: topic.id,
            "post_id": lambda w: own.id,
            "att_id": lambda w: att.id,
            "conversation_id": lambda w: conv.id,
            "message_id": lambda w: leaders_message.id,
        },
        url_args={
            "forum.board_atom": {"board_id": public.id},
            "forum.flag": {"post_id": leaders.id},
            "forum.mailing_unsubscribe": {"token": mailing_list.token(world.member.id, board.id)},
            "forum.tag": {"tag": "алгебра"},
        },
        only=lambda endpoint: endpoint.startswith("forum."),
    )
