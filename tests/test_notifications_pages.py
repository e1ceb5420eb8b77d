"""The notification list, marking read, preferences page, and its query count."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Notification, NotificationPreference


@pytest.fixture
def app(make_app):
    """The core with only the sample plugin (tests/plugin_site): a known set of plugins."""
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


def add(user, n: int, *, start: dt.datetime | None = None, read: bool = False, url: str = "/x"):
    start = start or dt.datetime(2026, 3, 1, 8, 0)
    rows = [
        Notification(
            user_id=user.id,
            kind="core.invitation",
            title=f"note {i}",
            url=url,
            created_at=start + dt.timedelta(minutes=i),
            read_at=start if read else None,
        )
        for i in range(n)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def titles(html: str) -> list[str]:
    return re.findall(r'class="(?:link )?title"[^>]*>(note[^<]*)<', html)


def test_list_unread_first_then_newest_with_pages(client, login, factory):
    user, other = factory.user(), factory.user()
    old_unread = add(user, 1, start=dt.datetime(2026, 1, 1))[0]
    old_unread.title = "note old unread"
    add(user, 24, start=dt.datetime(2026, 2, 1), read=True)
    db.session.commit()
    add(other, 3)  # never shown to user
    login(client, user)
    page1 = client.get("/notifications").get_data(as_text=True)
    shown = titles(page1)
    assert shown[0] == "note old unread"
    assert shown[1:] == [f"note {i}" for i in range(23, 4, -1)]
    assert len(shown) == 20 and 'rel="next"' in page1
    page2 = client.get("/notifications?page=2").get_data(as_text=True)
    assert titles(page2) == [f"note {i}" for i in range(4, -1, -1)]
    assert client.get("/notifications?page=9").status_code == 302
    assert client.get("/notifications?page=abc").status_code == 200


def test_header_count_and_mark_read(client, login, post, factory):
    user, other = factory.user(), factory.user()
    mine = add(user, 3)
    theirs = add(other, 1)[0]
    login(client, user)
    assert '<span class="badge" aria-label="unread">3</span>' in client.get(
        "/notifications", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)

    resp = post(client, f"/notifications/{mine[0].id}/read", {"page": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/notifications?page=1")
    opened = post(client, f"/notifications/{mine[1].id}/read", {"open": "1"})
    assert opened.headers["Location"] == "/x"
    db.session.expire_all()
    assert [n.read_at is not None for n in (mine[0], mine[1], mine[2])] == [True, True, False]
    # Someone else's notification: 404, untouched. Without CSRF: refused.
    assert post(client, f"/notifications/{theirs.id}/read").status_code == 404
    assert client.post(f"/notifications/{mine[2].id}/read").status_code == 400
    db.session.expire_all()
    assert theirs.read_at is None and mine[2].read_at is None

    assert post(client, "/notifications/read-all").status_code == 302
    db.session.expire_all()
    assert all(n.read_at is not None for n in mine) and theirs.read_at is None
    assert 'class="badge"' not in client.get("/notifications").get_data(as_text=True)


def test_items_link_only_to_safe_urls(client, login, factory):
    user = factory.user()
    add(user, 1, url="javascript:alert(1)", read=True)
    add(user, 1, url="/associations/shyn", read=True, start=dt.datetime(2026, 4, 1))
    login(client, user)
    html = client.get("/notifications").get_data(as_text=True)
    assert "javascript:" not in html
    assert 'href="/associations/shyn"' in html


def test_preferences_page_lists_core_and_plugin_kinds_and_saves(client, login, post, factory):
    user = factory.user()
    login(client, user)
    html = client.get("/notifications/preferences", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    for name in ("core.join_request", "core.invitation", "sample.ping"):
        assert f'name="in_app:{name}" value="1"' in html and f'name="email:{name}"' in html
    assert "Sample pings" in html and "Invitations to associations" in html
    assert 'name="in_app:core.password_reset"' not in html  # always sent

    resp = post(
        client,
        "/notifications/preferences",
        {"in_app:core.invitation": "1", "email:sample.ping": "1", "in_app:sample.ping": "1"},
    )
    assert resp.status_code == 302
    prefs = {
        p.kind: (p.in_app, p.email)
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    assert prefs["core.invitation"] == (True, False)
    assert prefs["sample.ping"] == (True, True)
    assert prefs["core.join_request"] == (False, False)
    html = client.get("/notifications/preferences").get_data(as_text=True)
    assert re.search(r'name="in_app:core.invitation" value="1"[^>]*checked', html)
    assert not re.search(r'name="email:core.invitation" value="1"[^>]*checked', html)
    # Saving again updates the rows rather than adding more.
    post(client, "/notifications/preferences", {"email:core.invitation": "1"})
    rows = db.session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user.id,
            NotificationPreference.kind == "core.invitation",
        )
    ).all()
    assert [(r.in_app, r.email) for r in rows] == [(False, True)]


def test_preferences_refuse_post_without_csrf(client, login, factory):
    user = factory.user()
    login(client, user)
    assert client.post("/notifications/preferences", data={}).status_code == 400
    assert db.session.scalars(select(NotificationPreference)).all() == []


def test_notification_page_query_count_does_not_grow(client, login, factory, count_queries):
    user = factory.user()
    add(user, 3)
    login(client, user)
    client.get("/notifications")  # warm up
    db.session.expunge_all()  # each request starts cold, as in production
    with count_queries() as few:
        assert client.get("/notifications").status_code == 200
    add(user, 57, start=dt.datetime(2026, 5, 1))
    add(user, 10, start=dt.datetime(2026, 6, 1), read=True)
    db.session.expunge_all()
    with count_queries() as many:
        html = client.get("/notifications").get_data(as_text=True)
    assert len(titles(html)) == 20
    assert many.count == few.count, (few.statements, many.statements)
