"""Search at national scale: only the newest ``SEARCH_CANDIDATES`` readable matches are
ranked, the page says so when the cut was made, and the forum search and the site search
run a number of statements that does not grow with the number of matches."""

from __future__ import annotations

import pytest

from core.extensions import db
from plugins.forum import services as svc
from plugins.forum.tests.forumkit import topic, world


@pytest.fixture
def app(make_app):
    """Every plugin: the site search runs each plugin's search hook."""
    app = make_app(plugins="all", DEFAULT_LOCALE="en")
    with app.app_context():
        yield app


def _posts(w):
    """Five matching public posts, oldest first: the two oldest match best (the word three
    times in a short text), the three newest once in a longer one; then two newer matches
    on the members' board, which an anonymous reader may not see."""
    t = topic(w.public, w.member, title="Жиналыс", body="Күн тәртібі")
    best = [svc.add_post(t, w.member, "Бағалау бағалау бағалау") for _ in range(2)]
    newer = [
        svc.add_post(t, w.member, f"Бағалау туралы ұзын хабарлама, {n}-бөлім, тағы сөздер")
        for n in range(3)
    ]
    hidden = topic(w.board, w.member, title="Ішкі", body="Бағалау бағалау бағалау ішкі")
    svc.add_post(hidden, w.member2, "Бағалау бағалау")
    db.session.commit()
    return best, newer


def test_only_the_newest_readable_matches_are_ranked(app, client, factory, monkeypatch):
    w = world(factory)
    best, newer = _posts(w)
    monkeypatch.setattr(svc, "SEARCH_CANDIDATES", 3)
    hits = svc.search_posts(None, "бағалау")
    # the members' posts are newer but unreadable: they take no place among the candidates
    assert {p.id for p, _ in hits} == {p.id for p in newer}
    assert hits.limited
    html = client.get("/forum/search?q=бағалау").get_data(as_text=True)
    assert "showing the best of the newest 3 matches" in html
    assert html.count("/forum/p/") == 3 and f'/forum/p/{best[0].id}"' not in html

    monkeypatch.setattr(svc, "SEARCH_CANDIDATES", 10)
    hits = svc.search_posts(None, "бағалау")
    assert not hits.limited
    assert [p.id for p, _ in hits][:2] == sorted((p.id for p in best), reverse=True)
    assert len(hits) == 5
    html = client.get("/forum/search?q=бағалау").get_data(as_text=True)
    assert "showing the best of the newest" not in html
    # a member reads both boards: the cut counts their matches too
    hits = svc.search_posts(w.member, "бағалау")
    assert len(hits) == 7 and not hits.limited


def test_searches_run_constant_statements_in_the_number_of_matches(
    app, client, factory, login, count_queries
):
    w = world(factory)
    t = topic(w.public, w.member, title="Сабақ жоспары", body="Сабақ жоспары туралы")
    db.session.commit()

    def cost(url: str) -> int:
        assert client.get(url).status_code == 200
        with app.app_context(), count_queries() as c:
            resp = client.get(url)
        assert resp.status_code == 200
        return c.count

    urls = ("/search?q=сабақ", "/forum/search?q=сабақ")
    few = [cost(u) for u in urls]
    for n in range(40):
        svc.add_post(t, w.member2, f"Сабақтар туралы {n}-жазба")
    db.session.commit()
    assert [cost(u) for u in urls] == few
    html = client.get("/search?q=сабақ").get_data(as_text=True)
    # the core shows at most DEFAULT_LIMIT results per source
    assert html.count("/forum/p/") == 20
    login(client, w.member)
    few = [cost(u) for u in urls]
    for n in range(40):
        svc.add_post(t, w.member, f"Сабақтың жоспары {n}")
    db.session.commit()
    assert [cost(u) for u in urls] == few


def test_no_page_lies_past_the_ranked_candidates(app, client, factory, monkeypatch, count_queries):
    """Only SEARCH_CANDIDATES matches are ranked: the last page of them offers no next one,
    and a page past them (a typed URL) answers empty without searching (on PostgreSQL that
    page had read the index twice, once above the floor and once without it)."""
    w = world(factory)
    t = topic(w.public, w.member, title="Жиналыс", body="Күн тәртібі")
    for n in range(25):
        svc.add_post(t, w.member, f"Бағалау туралы {n}-жазба")
    db.session.commit()
    monkeypatch.setattr(svc, "SEARCH_CANDIDATES", 40)
    html = client.get("/forum/search?q=бағалау").get_data(as_text=True)
    assert html.count("/forum/p/") == 20 and 'rel="next"' in html
    monkeypatch.setattr(svc, "SEARCH_CANDIDATES", 20)
    html = client.get("/forum/search?q=бағалау").get_data(as_text=True)
    assert html.count("/forum/p/") == 20 and 'rel="next"' not in html
    assert "showing the best of the newest 20 matches" in html
    with count_queries() as counter:
        resp = client.get("/forum/search?q=бағалау&page=2")
    assert resp.status_code == 200
    assert "/forum/p/" not in resp.get_data(as_text=True)
    assert not [s for s in counter.statements if "FROM forum_post" in s], counter.statements
    assert svc.search_posts(None, "бағалау", offset=20) == []
