"""Helpers shared by the forum tests: a small association with people in each role, and
direct row builders for data the tests do not exercise through HTTP."""

from __future__ import annotations

from dataclasses import dataclass

from core.extensions import db
from core.models import Association, User
from plugins.forum import services as svc
from plugins.forum.models import ForumBoard, ForumTopic


@dataclass
class World:
    association: Association
    leader: User
    moderator: User
    member: User
    member2: User
    outsider: User
    board: ForumBoard  # members only
    public: ForumBoard


def world(factory, **board_kw) -> World:
    region = factory.region()
    a = factory.association(region_id=region.id, rules_kk="1. Сыпайы болыңыз.\n2. Жарнама жоқ.")
    leader = factory.member(a, factory.user(full_name="Айгүл Серікова"), role="leader")
    moderator = factory.member(a, factory.user(full_name="Марат Оспанов"), role="moderator")
    member = factory.member(a, factory.user(full_name="Дана Ахметова"))
    member2 = factory.member(a, factory.user(full_name="Ержан Нұрланов"))
    outsider = factory.user(full_name="Бөтен Адам")
    board = ForumBoard(association_id=a.id, name="Ішкі талқылау", position=1, **board_kw)
    public = ForumBoard(association_id=a.id, name="Ашық сұрақтар", visibility="public", position=2)
    db.session.add_all([board, public])
    db.session.commit()
    return World(a, leader, moderator, member, member2, outsider, board, public)


def topic(
    board: ForumBoard,
    author: User,
    title: str = "Тақырып",
    body: str = "Мәтін",
    kind: str = "discussion",
    replies: list[tuple[User, str]] = (),
) -> ForumTopic:
    t = ForumTopic(
        board_id=board.id,
        association_id=board.association_id,
        author_id=author.id,
        title=title,
        kind=kind,
    )
    db.session.add(t)
    svc.add_post(t, author, body)
    for who, text in replies:
        svc.add_post(t, who, text)
    db.session.flush()
    svc.set_watch(author, "watching", topic_id=t.id)  # as the new-topic page does
    db.session.commit()
    return t
