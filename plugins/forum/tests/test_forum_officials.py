"""Questions addressed to an official's account: the managers' list, the addressee notified,
reading and answering in place (the answer is official), the asker told of each status, and
an answer that is both official and accepted shown once."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from plugins.forum.models import ForumModLog, ForumOfficial, ForumPost, ForumTopic
from plugins.forum.tests.forumkit import world


def _client(app, login, user):
    c = app.test_client()
    login(c, user)
    return c


def _told(user, kind):
    return db.session.scalars(
        select(Notification.title).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


def test_question_to_an_official_account(app, factory, login, post):
    w = world(factory, officials=True)
    head = factory.user(full_name="Бақыт Әлиев", email="akim@example.kz")  # not a member
    leader = _client(app, login, w.leader)
    member = _client(app, login, w.member)
    url = f"/forum/a/{w.association.slug}/officials"
    assert (
        post(member, url, {"email": "akim@example.kz", "title": "Бөлім басшысы"}).status_code == 403
    )
    bad = post(leader, url, {"email": "nobody@example.kz", "title": "Бөлім басшысы"})
    assert bad.status_code == 400 and "No active account has this email." in bad.get_data(
        as_text=True
    )
    assert (
        post(leader, url, {"email": "AKIM@example.kz", "title": "Бөлім басшысы"}).status_code == 302
    )
    again = post(leader, url, {"email": "akim@example.kz", "title": "Басқа"})
    assert "already in the list" in again.get_data(as_text=True)
    assert db.session.scalar(select(ForumOfficial.title)) == "Бөлім басшысы"

    form = member.get(f"/forum/b/{w.board.id}/new").get_data(as_text=True)
    assert "Бөлім басшысы (Бақыт Әлиев)" in form
    post(
        member,
        f"/forum/b/{w.board.id}/new",
        {"title": "Оқулықтар қашан?", "kind": "question", "body": "Сұрақ", "addressee": head.id},
    )
    t = db.session.scalar(select(ForumTopic))
    assert (t.addressee_id, t.addressed_to, t.official_status) == (head.id, "Бөлім басшысы", "open")
    assert _told(head, "forum.addressed") == ["A question is addressed to you: Оқулықтар қашан?"]

    # the addressee reads the members-only board's question and answers in place
    official = _client(app, login, head)
    mine = official.get("/forum/to-me").get_data(as_text=True)
    assert f"/forum/t/{t.id}" in mine and "Оқулықтар қашан?" in mine
    assert f"/forum/t/{t.id}" not in member.get("/forum/to-me").get_data(as_text=True)
    page = official.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "Бақыт Әлиев" in page and f"/forum/t/{t.id}/reply" in page
    assert official.get(f"/forum/b/{w.board.id}").status_code == 403  # only their question
    post(official, f"/forum/t/{t.id}/reply", {"body": "Қыркүйекке дейін."})
    answer = db.session.scalar(select(ForumPost).where(ForumPost.body == "Қыркүйекке дейін."))
    t = db.session.get(ForumTopic, t.id)
    assert t.official_post_id == answer.id and t.official_status == "answered"
    assert _told(w.member, "forum.official_status") == [
        "Your question Оқулықтар қашан? is now answered"
    ]
    # the addressee closes it; the asker hears again; another member may not
    assert (
        post(
            _client(app, login, w.member2), f"/forum/t/{t.id}/official", {"status": "closed"}
        ).status_code
        == 403
    )
    post(official, f"/forum/t/{t.id}/official", {"status": "closed"})
    assert len(_told(w.member, "forum.official_status")) == 2

    # accepted and official: one post with both marks, the body shown once
    post(member, f"/forum/p/{answer.id}/accept")
    page = member.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert page.count("Қыркүйекке дейін.") == 1
    assert page.count("answer-box") == 1 and "Official and accepted answer" in page
    article = page.split(f'id="p{answer.id}"', 1)[1].split("</article>", 1)[0]
    assert "Accepted answer" in article and "Official answer" in article

    actions = db.session.scalars(select(ForumModLog.action)).all()
    assert actions == ["official.add", "official.closed"]
    log = leader.get(f"/forum/a/{w.association.slug}/log").get_data(as_text=True)
    assert "Official added to the list" in log
    row = db.session.scalar(select(ForumOfficial))
    assert post(member, f"/forum/officials/{row.id}/remove").status_code == 403
    assert post(leader, f"/forum/officials/{row.id}/remove").status_code == 302
    assert db.session.scalar(select(ForumOfficial)) is None


def test_answer_off_the_page_is_one_box_with_both_marks(app, factory, login, post):
    from plugins.forum import services as svc
    from plugins.forum.tests.forumkit import topic

    w = world(factory, officials=True)
    t = topic(w.board, w.member, title="Ұзын сұрақ", kind="question")
    t.addressed_to = "Әдістемелік кабинет"
    t.official_status = "open"
    answer = svc.add_post(t, w.leader, "Ресми әрі қабылданған жауап")
    for i in range(svc.POSTS_PER_PAGE):
        svc.add_post(t, w.member2, f"толықтыру {i}")
    db.session.flush()
    t.official_post_id = t.accepted_post_id = answer.id
    db.session.commit()
    page = _client(app, login, w.member).get(f"/forum/t/{t.id}?page=2").get_data(as_text=True)
    assert page.count("Ресми әрі қабылданған жауап") == 1
    assert page.count("answer-box") == 1 and "Official and accepted answer" in page
