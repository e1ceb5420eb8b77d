"""Forum input at its edges: a poll closing in year 1 or 9999 is a field error in the user's
language with the topic kept; a title typed with line breaks, NUL or bidi overrides is stored
on one line; ids past 64 bits and huge filters in the search answer, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.extensions import db
from plugins.forum.models import ForumPoll, ForumTopic
from plugins.forum.tests.forumkit import topic, world


@pytest.fixture
def app(make_app):
    app = make_app(plugins="forum")
    with app.app_context():
        yield app


def _topic_form(**over):
    data = {
        "title": "Сауалнама",
        "kind": "discussion",
        "body": "Дауыс беріңіз",
        "poll_question": "Қашан жиналамыз?",
        "poll_options": "Жұма\r\nСенбі\r\n",
    }
    data.update(over)
    return data


@pytest.mark.parametrize("closes", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_poll_closing_out_of_range_is_a_kazakh_field_error(
    app, client, factory, login, post, closes
):
    w = world(factory)
    login(client, w.member)
    resp = post(client, f"/forum/b/{w.board.id}/new", _topic_form(poll_closes_at=closes))
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "1900 және 2200 жылдар аралығындағы күнді енгізіңіз." in page
    assert f'value="{closes}"' in page
    assert "Дауыс беріңіз" in page
    assert db.session.scalar(select(func.count(ForumTopic.id))) == 0
    assert db.session.scalar(select(func.count(ForumPoll.id))) == 0


def test_a_title_with_line_breaks_nul_and_bidi_is_stored_clean(app, client, factory, login, post):
    w = world(factory)
    login(client, w.member)
    resp = post(
        client,
        f"/forum/b/{w.board.id}/new",
        _topic_form(title="Бірінші\r\nжол\x00\u202eтақырып", poll_question="\u2067Қашан?\u2069"),
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    t = db.session.scalar(select(ForumTopic))
    assert t.title == "Бірінші жолтақырып"
    poll = db.session.scalar(select(ForumPoll))
    assert poll.question == "Қашан?"
    assert [o.text for o in poll.options] == ["Жұма", "Сенбі"]


@pytest.mark.parametrize(
    "url",
    [
        "/forum/t/99999999999999999999999",
        "/forum/b/99999999999999999999999",
        "/forum/p/99999999999999999999999",
        "/forum/att/99999999999999999999999",
        "/forum/t/-1",
    ],
)
def test_ids_out_of_range_are_not_found(client, url):
    assert client.get(url).status_code == 404


def test_search_and_lists_ignore_huge_filters_and_pages(app, client, factory, login):
    w = world(factory)
    t = topic(w.public, w.member, title="Әдістемелік хат", body="Хат туралы")
    db.session.commit()
    huge = 2**70
    resp = client.get(
        f"/forum/search?q=хат&board={huge}&author={huge}&since=0001-01-01&until=9999-12-31"
        f"&page={huge}"
    )
    assert resp.status_code == 200
    assert client.get(f"/forum/t/{t.id}?page={huge}").status_code == 200
    assert client.get(f"/forum/b/{w.public.id}?page={huge}").status_code == 200
    assert client.get(f"/forum/?page={huge}").status_code == 200
    login(client, w.member)
    assert client.get(f"/forum/t/{t.id}/reply?quote={huge}").status_code == 200
