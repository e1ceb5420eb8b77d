"""The forum's demo content builds on the core roster and reads well through the app."""

from __future__ import annotations

from sqlalchemy import func, select

from core import demo
from core.extensions import db
from plugins.forum.models import ForumPoll, ForumPost, ForumTopic


def test_demo_discussions(app, client, login):
    ctx = demo.build(echo=lambda _msg: None)
    lines: list[str] = []
    ctx.echo = lines.append
    app.extensions["qauym_plugins"].collect("demo_data", ctx=ctx)
    assert any("forum:" in line for line in lines)
    assert db.session.scalar(select(func.count(ForumTopic.id))) >= 10
    accepted = db.session.scalars(
        select(ForumTopic).where(ForumTopic.accepted_post_id.is_not(None))
    ).all()
    assert {t.kind for t in accepted} == {"question"}
    assert db.session.scalar(select(func.count(ForumPoll.id))) == 1
    assert (
        db.session.scalar(select(func.count(ForumPost.id)).where(ForumPost.approved.is_(False)))
        == 1
    )
    letter = db.session.scalar(select(ForumTopic).where(ForumTopic.title.like("%нұсқау хат%")))
    member = ctx.users["shyn_member"]
    login(client, member, password=ctx.password)
    page = client.get(f"/forum/t/{letter.id}").get_data(as_text=True)
    assert "Accepted answer" in page and "БЖБ" in page
    anonymous = client.get("/forum/a/shyn-network").get_data(as_text=True)
    assert "Басшылыққа сұрақтар" in anonymous
    found = client.get("/forum/search?q=знаменатель").get_data(as_text=True)
    assert "Nothing found." in found  # damu-ma's members-only board is not readable here
    addressed = client.get("/forum/a/shyn-network/addressed?status=answered").get_data(as_text=True)
    assert "интерактивті тақталар" in addressed
