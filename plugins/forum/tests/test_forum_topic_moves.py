"""Topic hide, board archive, split and merge: what members and moderators see, the counters,
read marks, search and permalinks after each, and that members cannot do any of it by a POST."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from plugins.forum import counters
from plugins.forum import services as svc
from plugins.forum.models import (
    ForumBoard,
    ForumModLog,
    ForumPoll,
    ForumPost,
    ForumReadState,
    ForumTopic,
    ForumWatch,
)
from plugins.forum.tests.forumkit import topic, world


def _client(app, login, user):
    c = app.test_client()
    login(c, user)
    return c


def _counters(board_id: int, topic_ids: list[int]) -> tuple:
    """The stored counters, then the same after ``repair`` recomputed everything."""

    def snap():
        b = db.session.get(ForumBoard, board_id)
        ts = [db.session.get(ForumTopic, i) for i in topic_ids]
        return (
            b.topic_count,
            b.post_count,
            b.last_post_id,
            [(t.reply_count, t.approved_count, t.visible_number, t.last_post_id) for t in ts],
            sorted(
                (p.topic_id, p.position)
                for p in db.session.scalars(
                    select(ForumPost).where(ForumPost.topic_id.in_(topic_ids))
                )
            ),
        )

    db.session.expire_all()
    stored = snap()
    counters.repair()
    return stored, snap()


def _actions() -> list[str]:
    return db.session.scalars(select(ForumModLog.action).order_by(ForumModLog.id)).all()


def test_hidden_topic_leaves_lists_search_and_counters(app, factory, login, post):
    w = world(factory)
    t = topic(w.public, w.member, title="Жасырын тақырып", body="ерекшесөз мәтіні")
    topic(w.public, w.member2, title="Басқа тақырып")
    member = _client(app, login, w.member2)
    mod = _client(app, login, w.moderator)
    assert post(member, f"/forum/t/{t.id}/mod/hide").status_code == 403
    assert db.session.get(ForumTopic, t.id).hidden is False

    assert post(mod, f"/forum/t/{t.id}/mod/hide").status_code == 302
    stored, fresh = _counters(w.public.id, [t.id])
    assert stored == fresh and stored[0] == 1  # one topic left on the board
    for c in (member, app.test_client()):
        assert "Жасырын тақырып" not in c.get(f"/forum/b/{w.public.id}").get_data(as_text=True)
        assert "Жасырын тақырып" not in c.get("/forum/").get_data(as_text=True)
        assert c.get(f"/forum/t/{t.id}").status_code == 404
        found = c.get("/forum/search?q=ерекшесөз").get_data(as_text=True)
        assert "Жасырын тақырып" not in found
    page = mod.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "This topic is hidden by a moderator" in page
    assert "Show the topic again" in page
    assert "Hidden topic" in mod.get(f"/forum/b/{w.public.id}").get_data(as_text=True)
    # a moderator's reply in the hidden topic tells no member (the author watches it)
    post(mod, f"/forum/t/{t.id}/reply", {"body": "Модератордың жазбасы"})
    told = db.session.scalars(
        select(Notification.id).where(Notification.user_id == w.member.id)
    ).all()
    assert told == []
    assert db.session.get(ForumBoard, w.public.id).post_count == 1

    post(mod, f"/forum/t/{t.id}/mod/unhide")
    assert member.get(f"/forum/t/{t.id}").status_code == 200
    assert "Жасырын тақырып" in member.get("/forum/search?q=ерекшесөз").get_data(as_text=True)
    stored, fresh = _counters(w.public.id, [t.id])
    assert stored == fresh and stored[0] == 2
    assert _actions() == ["topic.hide", "topic.unhide"]
    log = mod.get(f"/forum/a/{w.association.slug}/log").get_data(as_text=True)
    assert "Topic hidden" in log and "topic.hide" not in log


def test_archived_board_is_read_only_listed_apart_and_searchable(app, factory, login, post):
    w = world(factory)
    t = topic(w.board, w.member, title="Мұрағат тақырыбы", body="мұрағаттағы сөз", kind="question")
    answer = svc.add_post(t, w.member2, "Жауап")
    db.session.commit()
    db.session.add(ForumPoll(topic_id=t.id, question="Иә ма?"))
    db.session.commit()
    member = _client(app, login, w.member)
    mod = _client(app, login, w.moderator)
    assert post(member, f"/forum/b/{w.board.id}/archive").status_code == 403
    assert post(mod, f"/forum/b/{w.board.id}/archive").status_code == 302
    assert db.session.get(ForumBoard, w.board.id).archived

    index = member.get(f"/forum/a/{w.association.slug}").get_data(as_text=True)
    archived_part = index.split('id="archived"', 1)[1]
    assert "Ішкі талқылау" in archived_part and "Ашық сұрақтар" not in archived_part
    page = member.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "This board is archived" in page and f"/forum/t/{t.id}/reply" not in page
    found = member.get("/forum/search?q=мұрағаттағы").get_data(as_text=True)
    opening = db.session.scalar(
        select(ForumPost.id).where(ForumPost.topic_id == t.id, ForumPost.number == 1)
    )
    assert f"/forum/p/{opening}" in found  # found on the archived board

    aid = answer.id
    writes = [
        (f"/forum/b/{w.board.id}/new", {"title": "Жаңа", "kind": "discussion", "body": "x"}),
        (f"/forum/t/{t.id}/reply", {"body": "Жаңа жауап"}),
        (f"/forum/p/{aid}/edit", {"body": "Өзгерту"}),
        (f"/forum/p/{aid}/delete", {}),
        (f"/forum/p/{aid}/react/thanks", {}),
        (f"/forum/p/{aid}/accept", {}),
        (f"/forum/t/{t.id}/vote", {"option": "1"}),
    ]
    for who in (member, mod, _client(app, login, w.member2)):
        for url, data in writes:
            assert post(who, url, data).status_code == 403, url
    assert db.session.scalar(select(ForumPost.body).where(ForumPost.id == aid)) == "Жауап"
    assert len(db.session.scalars(select(ForumTopic)).all()) == 1

    post(mod, f"/forum/b/{w.board.id}/unarchive")
    assert post(member, f"/forum/t/{t.id}/reply", {"body": "Тағы"}).status_code == 302
    assert _actions() == ["board.archive", "board.unarchive"]


def test_split_to_a_new_topic_keeps_counters_read_marks_and_permalinks(app, factory, login, post):
    w = world(factory)
    t = topic(
        w.board,
        w.member,
        title="Үлкен тақырып",
        replies=[
            (w.member2, "бірінші жауап"),
            (w.member, "бөлекбөлім екінші"),
            (w.member2, "бөлекбөлім үшінші"),
            (w.member, "төртінші"),
        ],
    )
    posts = db.session.scalars(
        select(ForumPost).where(ForumPost.topic_id == t.id).order_by(ForumPost.number)
    ).all()
    moving = [posts[2].id, posts[3].id]
    svc.mark_read(w.member2, t, 5)
    db.session.commit()
    member = _client(app, login, w.member2)
    mod = _client(app, login, w.moderator)
    data = {"destination": "new", "title": "Бөлінген тақырып", "board_id": w.public.id}
    data["post"] = [str(i) for i in moving]
    assert post(member, f"/forum/t/{t.id}/split", data).status_code == 403
    # the topic page links the boxes to the split page (a GET form, no script needed)
    page = mod.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert 'form="split-posts"' in page and 'id="split-posts"' in page
    chosen = mod.get(f"/forum/t/{t.id}/split?post={moving[0]}").get_data(as_text=True)
    assert f'value="{moving[0]}" checked' in chosen
    assert f'name="post" value="{posts[1].id}"' not in chosen  # starts at the first chosen
    # errors are shown on the page, nothing is lost
    bad = post(mod, f"/forum/t/{t.id}/split", {**data, "title": ""})
    assert bad.status_code == 400 and "Give the new topic a title." in bad.get_data(as_text=True)
    assert f'value="{moving[1]}" checked' in bad.get_data(as_text=True)
    first = post(mod, f"/forum/t/{t.id}/split", {**data, "post": [str(posts[0].id)]})
    assert "The opening message cannot be moved" in first.get_data(as_text=True)

    resp = post(mod, f"/forum/t/{t.id}/split", data)
    assert resp.status_code == 302
    new = db.session.scalar(select(ForumTopic).where(ForumTopic.title == "Бөлінген тақырып"))
    assert resp.headers["Location"].endswith(f"/forum/t/{new.id}")
    assert new.board_id == w.public.id and new.author_id == w.member.id
    moved = db.session.scalars(
        select(ForumPost).where(ForumPost.topic_id == new.id).order_by(ForumPost.number)
    ).all()
    assert [(p.id, p.number, p.position) for p in moved] == [(moving[0], 1, 1), (moving[1], 2, 2)]
    left = db.session.scalars(
        select(ForumPost).where(ForumPost.topic_id == t.id).order_by(ForumPost.number)
    ).all()
    assert [(p.number, p.position) for p in left] == [(1, 1), (2, 2), (5, 3)]
    for board in (w.board, w.public):
        stored, fresh = _counters(board.id, [t.id, new.id])
        assert stored == fresh
    # read marks: the reader had read everything, the new topic is read too
    assert db.session.get(ForumReadState, (w.member2.id, new.id)).last_read_number == 2
    # permalinks of moved posts lead to their new topic
    loc = member.get(f"/forum/p/{moving[1]}").headers["Location"]
    assert f"/forum/t/{new.id}" in loc and loc.endswith(f"#p{moving[1]}")
    # the new topic's title is searchable with its first post; the old one is not
    found = member.get("/forum/search?q=Бөлінген").get_data(as_text=True)
    assert f"/forum/p/{moving[0]}" in found
    assert "Бөлінген" not in member.get("/forum/search?q=Үлкен").get_data(as_text=True)
    assert _actions() == ["topic.split"]


def test_split_into_an_existing_topic_and_merge(app, factory, login, post):
    w = world(factory)
    a = topic(w.board, w.member, title="Бастапқы", replies=[(w.member2, "көшетін жауап")])
    b = topic(w.board, w.member2, title="Мақсатты", replies=[(w.member, "бар жауап")])
    other = factory.association(region_id=w.association.region_id)
    foreign_board = ForumBoard(association_id=other.id, name="Бөгде")
    db.session.add(foreign_board)
    db.session.commit()
    foreign = topic(foreign_board, w.outsider, title="Бөгде тақырып")
    moving = db.session.scalar(select(ForumPost.id).where(ForumPost.body == "көшетін жауап"))
    opening = db.session.scalar(
        select(ForumPost.id).where(ForumPost.topic_id == a.id, ForumPost.number == 1)
    )
    mod = _client(app, login, w.moderator)
    member = _client(app, login, w.member)

    data = {"destination": "existing", "target": str(foreign.id), "post": str(moving)}
    bad = post(mod, f"/forum/t/{a.id}/split", data)
    assert "same association" in bad.get_data(as_text=True)
    data["target"] = f"http://localhost/forum/t/{b.id}?page=1"
    assert post(mod, f"/forum/t/{a.id}/split", data).status_code == 302
    moved = db.session.get(ForumPost, moving)
    assert (moved.topic_id, moved.number, moved.position) == (b.id, 3, 3)

    assert post(member, f"/forum/t/{a.id}/merge", {"merge_target": str(b.id)}).status_code == 403
    same = post(mod, f"/forum/t/{a.id}/merge", {"merge_target": str(a.id)})
    assert same.status_code == 400 and "Choose another topic" in same.get_data(as_text=True)
    assert post(mod, f"/forum/t/{a.id}/merge", {"merge_target": str(b.id)}).status_code == 302
    src = db.session.get(ForumTopic, a.id)
    assert src.merged_into_id == b.id and src.deleted_at is not None
    # the author of the merged topic watched it: now they watch the target
    watch = db.session.scalar(
        select(ForumWatch.level).where(
            ForumWatch.user_id == w.member.id, ForumWatch.topic_id == b.id
        )
    )
    assert watch == "watching"
    # a merged (deleted) topic is no target any more
    again = post(mod, f"/forum/t/{b.id}/merge", {"merge_target": str(a.id)})
    assert again.status_code == 400 and "No such topic" in again.get_data(as_text=True)
    nums = db.session.scalars(
        select(ForumPost.number).where(ForumPost.topic_id == b.id).order_by(ForumPost.number)
    ).all()
    assert nums == [1, 2, 3, 4]
    # the merged topic's address leads to the target, for members too
    resp = member.get(f"/forum/t/{a.id}")
    assert resp.status_code == 301 and resp.headers["Location"].endswith(f"/forum/t/{b.id}")
    stored, fresh = _counters(w.board.id, [a.id, b.id])
    assert stored == fresh and stored[0] == 1
    # the old opening post, now #4, no longer carries a title in search
    assert f"/forum/p/{opening}" not in member.get("/forum/search?q=Бастапқы").get_data(
        as_text=True
    )
    assert f"/forum/p/{opening}" in member.get("/forum/search?q=Мәтін").get_data(as_text=True)
    board_page = mod.get(f"/forum/b/{w.board.id}").get_data(as_text=True)
    assert "Бастапқы" not in board_page
    assert _actions() == ["topic.split", "topic.merge"]


def _poll(t: ForumTopic, question: str, voters) -> ForumPoll:
    from plugins.forum.models import ForumPollOption, ForumPollVote

    poll = ForumPoll(topic_id=t.id, question=question)
    poll.options = [ForumPollOption(position=0, text="Иә"), ForumPollOption(position=1, text="Жоқ")]
    db.session.add(poll)
    db.session.flush()
    for user in voters:
        yes = poll.options[0].id
        db.session.add(ForumPollVote(poll_id=poll.id, option_id=yes, user_id=user.id))
    db.session.commit()
    return poll


def test_merge_moves_the_poll_and_refuses_two_polls(app, factory, login, post):
    from plugins.forum.models import ForumPollVote

    w = world(factory)
    a = topic(w.board, w.member, title="Сауалнамасы бар")
    b = topic(w.board, w.member2, title="Сауалнамасыз")
    poll = _poll(a, "Жиналыс сейсенбіде ме?", [w.member, w.member2])
    w.moderator.locale = "kk"
    db.session.commit()
    mod = _client(app, login, w.moderator)
    assert post(mod, f"/forum/t/{a.id}/merge", {"merge_target": str(b.id)}).status_code == 302
    db.session.expire_all()
    moved = db.session.get(ForumPoll, poll.id)
    assert moved.topic_id == b.id and [o.text for o in moved.options] == ["Иә", "Жоқ"]
    votes = db.session.scalars(select(ForumPollVote).where(ForumPollVote.poll_id == poll.id))
    assert len(votes.all()) == 2
    page = _client(app, login, w.member).get(f"/forum/t/{b.id}").get_data(as_text=True)
    assert "Жиналыс сейсенбіде ме?" in page

    # both topics have a poll: refused in the moderator's language, nothing moved
    c = topic(w.board, w.member, title="Екінші сауалнама")
    other = _poll(c, "Семинар онлайн ба?", [w.member])
    refused = post(mod, f"/forum/t/{c.id}/merge", {"merge_target": str(b.id)})
    assert refused.status_code == 400
    assert "Екі тақырыпта да сауалнама бар" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ForumPoll, other.id).topic_id == c.id
    assert db.session.get(ForumPoll, poll.id).topic_id == b.id
    source = db.session.get(ForumTopic, c.id)
    assert source.merged_into_id is None and source.deleted_at is None
    assert db.session.scalar(select(ForumPost.id).where(ForumPost.topic_id == c.id)) is not None
    assert _actions() == ["topic.merge"]
