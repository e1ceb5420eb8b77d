"""@handle mentions, the suggestions endpoint for static/mentions.js, and what quote.js needs
on the topic page (the server-side quote link is tested in test_forum_posts)."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.models import Notification
from plugins.forum.tests.forumkit import topic, world


def _notes(user, kind):
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


def test_mentions_by_handle_link_and_notify(app, client, factory, login, post):
    w = world(factory)
    assert (w.leader.handle, w.moderator.handle) == ("aigul_serikova", "marat_ospanov")
    t = topic(w.board, w.member, body="Сұрақ")
    login(client, w.member2)
    body = (
        "Рахмет, @Aigul_Serikova! @marat_ospanov. @boten_adam мүше емес. "
        "`@dana_akhmetova` кодта.\n\n> @dana_akhmetova дәйексөзде"
    )
    assert post(client, f"/forum/t/{t.id}/reply", {"body": body}).status_code == 302
    page = client.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert f'<a class="mention" href="/u/{w.leader.id}">@Aigul_Serikova</a>!' in page
    assert f'<a class="mention" href="/u/{w.moderator.id}">@marat_ospanov</a>.' in page
    assert "@boten_adam" in page and f'href="/u/{w.outsider.id}"' not in page
    assert "<code>@dana_akhmetova</code>" in page
    # The author's handle beside the name.
    assert '<span class="muted handle">@erzhan_nurlanov</span>' in page
    assert len(_notes(w.leader, "forum.mention")) == 1
    assert len(_notes(w.moderator, "forum.mention")) == 1
    assert _notes(w.outsider, "forum.mention") == []
    # Quoted and code mentions are not new mentions; the topic's author hears of the reply.
    assert _notes(w.member, "forum.mention") == []


def _suggest(client, board, q):
    resp = client.get(f"/forum/b/{board.id}/mentions", query_string={"q": q})
    return resp.status_code, resp.get_json() if resp.is_json else None


def test_suggestions_match_handles_and_names_of_members(app, client, factory, login):
    w = world(factory)
    for n in range(10):
        factory.member(w.association, factory.user(full_name=f"Асан Әлиев{n}"))
    login(client, w.member)
    leader = {"handle": "aigul_serikova", "name": "Айгүл Серікова"}
    assert _suggest(client, w.board, "ai") == (200, [leader])
    assert _suggest(client, w.board, "@AIG") == (200, [leader])
    assert _suggest(client, w.board, "айг") == (200, [leader])  # Cyrillic finds the handle
    assert _suggest(client, w.board, "СЕР") == (200, [leader])  # a surname, any case
    assert _suggest(client, w.board, "ері") == (200, [])  # word starts only
    assert _suggest(client, w.board, "bo") == (200, [])  # not a member
    assert _suggest(client, w.board, "") == (200, [])
    status, rows = _suggest(client, w.board, "ас")
    assert status == 200 and len(rows) == 8  # at most 8
    assert rows[0] == {"handle": "asan_aliev0", "name": "Асан Әлиев0"}
    assert _suggest(client, w.public, "ma")[1] == [
        {"handle": "marat_ospanov", "name": "Марат Оспанов"}
    ]
    for garbage in ("%", "_", "\\", "a" * 500, "' OR 1=1 --"):
        assert _suggest(client, w.board, garbage)[0] == 200


def test_suggestions_only_for_those_who_may_write(app, client, factory, login):
    w = world(factory)
    resp = client.get(f"/forum/b/{w.public.id}/mentions?q=ai")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    login(client, w.outsider)
    assert _suggest(client, w.board, "ai")[0] == 403  # cannot read the board
    assert _suggest(client, w.public, "ai")[0] == 403  # reads it, is not a member
    assert client.get("/forum/b/999999/mentions?q=ai").status_code == 404


def test_topic_page_carries_what_the_scripts_need(app, client, factory, login):
    w = world(factory)
    t = topic(w.public, w.member, body="Бірінші жол\nЕкінші жол")
    anonymous = client.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "quote.js" not in anonymous and "mentions.js" not in anonymous
    assert "data-quote-author" not in anonymous
    login(client, w.member2)
    page = client.get(f"/forum/t/{t.id}").get_data(as_text=True)
    assert "/forum/static/quote.js" in page and "/forum/static/mentions.js" in page
    assert 'data-quote-author="Дана Ахметова"' in page
    assert f'data-mention-url="/forum/b/{w.public.id}/mentions"' in page
    assert 'data-quote-wrote="жазды"' in page or "data-quote-wrote=" in page
    new = client.get(f"/forum/b/{w.public.id}/new").get_data(as_text=True)
    assert "mentions.js" in new and "data-mention-url" in new


def test_suggestions_are_rate_limited_per_user_with_a_json_429(make_app, factory, login):
    app = make_app(
        plugins="forum",
        DEFAULT_LOCALE="en",
        RATELIMIT_ENABLED=True,
        FORUM_MENTION_RATE_LIMIT="3 per minute",
    )
    with app.app_context():
        w = world(factory)
        first, second = app.test_client(), app.test_client()
        login(first, w.member)
        login(second, w.member2)
        codes = [_suggest(first, w.board, "ai")[0] for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        resp = first.get(f"/forum/b/{w.board.id}/mentions?q=ai")
        assert resp.status_code == 429 and resp.is_json
        assert resp.get_json() == {"error": "Too many requests. Please wait a minute."}
        assert resp.headers["Retry-After"] == "60"
        assert _suggest(second, w.board, "ai")[0] == 200  # per user, not per address
        assert first.get(f"/forum/b/{w.board.id}").status_code == 200  # only this endpoint


def test_suggestions_are_not_limited_when_rate_limiting_is_off(make_app, factory, login):
    app = make_app(plugins="forum", DEFAULT_LOCALE="en", FORUM_MENTION_RATE_LIMIT="3 per minute")
    with app.app_context():
        w = world(factory)
        client = app.test_client()
        login(client, w.member)
        assert {_suggest(client, w.board, "ai")[0] for _ in range(6)} == {200}
