"""Server-side sessions: logging out, a password change or reset and an administrator end
sessions for real, so a copied cookie (session or remember-me) stops working. Cookie flags."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import delete as sa_delete
from sqlalchemy import select
from sqlalchemy import update as sa_update

from core.extensions import db
from core.models import AuditLog, OutboxEmail, UserSession

PRIVATE = "/notifications"  # any login-required page


@pytest.fixture
def app(make_app):
    app = make_app(plugins="sample")
    with app.app_context():
        yield app


def copy_of(client, names=("session", "remember_token")):
    """A second browser holding the same cookies (what a thief copies)."""
    other = client.application.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        if cookie is not None:
            other.set_cookie(name, cookie.value)
    return other


def logged_in(client) -> bool:
    resp = client.get(PRIVATE)
    if resp.status_code == 200:
        return True
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    return False


def login_form(client, post, user, **extra):
    data = {"email": user.email, "password": "password123", **extra}
    resp = post(client, "/login", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return resp


def rows(user) -> list[UserSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
        )
    )


def test_logging_in_stores_a_hashed_token_and_logout_ends_it(client, post, factory):
    user = factory.user()
    login_form(client, post, user)
    (row,) = rows(user)
    assert row.revoked_at is None and len(row.token_hash) == 64
    cookie = client.get_cookie("session").value
    assert row.token_hash not in cookie
    thief = copy_of(client)
    assert logged_in(thief)

    assert post(client, "/logout").status_code == 302
    assert not logged_in(client)
    assert not logged_in(thief)  # the copied cookie died with the logout
    assert rows(user)[0].revoked_at is not None


def test_remember_me_cookie_alone_is_revocable(client, post, factory):
    user = factory.user()
    login_form(client, post, user, remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.value.startswith(f"{user.id}:")
    # The browser was closed (session cookie gone): the remember-me cookie signs it in again.
    reopened = copy_of(client, names=("remember_token",))
    assert logged_in(reopened)
    stolen = copy_of(client, names=("remember_token",))
    post(client, "/logout")
    assert not logged_in(stolen)
    assert not logged_in(reopened)


def test_password_change_ends_other_sessions_and_keeps_this_one(client, post, factory):
    user = factory.user()
    login_form(client, post, user)
    phone = client.application.test_client()
    login_form(phone, post, user, remember="y")
    stolen = copy_of(client)
    phone_remember = copy_of(phone, names=("remember_token",))

    page = client.get("/profile/password").get_data(as_text=True)
    assert page.count("<li>") >= 2  # both sessions are listed
    resp = post(
        client,
        "/profile/password",
        {"current_password": "password123", "password": "new-pass-123", "confirm": "new-pass-123"},
    )
    assert resp.status_code == 302
    assert logged_in(client)  # this browser stays
    assert logged_in(stolen)  # ...and so does a copy of *its* cookie: it is the same session
    assert not logged_in(phone)
    assert not logged_in(phone_remember)
    assert [r.revoked_at is None for r in rows(user)] == [True, False]


def test_end_other_sessions_button(client, post, factory):
    user = factory.user()
    login_form(client, post, user)
    other = client.application.test_client()
    login_form(other, post, user)
    assert "/profile/sessions/end-others" in client.get("/profile/password").get_data(as_text=True)
    assert client.post("/profile/sessions/end-others").status_code == 400  # no CSRF token
    assert logged_in(other)
    assert post(client, "/profile/sessions/end-others").status_code == 302
    assert logged_in(client) and not logged_in(other)


def test_password_reset_ends_every_session_and_signs_in_afresh(client, post, factory):
    user = factory.user(email="known@example.kz")
    login_form(client, post, user, remember="y")
    stolen = copy_of(client)
    stolen_remember = copy_of(client, names=("remember_token",))

    owner = client.application.test_client()
    post(owner, "/password/forgot", {"email": "known@example.kz"})
    mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "core.password_reset"))
    link = re.search(r"http://localhost(/password/reset/\S+)", mail.body).group(1)
    done = post(owner, link, {"password": "brand-new-9", "confirm": "brand-new-9"})
    assert done.status_code == 302

    assert logged_in(owner)  # a new session for the browser that reset the password
    assert not logged_in(client)
    assert not logged_in(stolen)
    assert not logged_in(stolen_remember)
    live = [r for r in rows(user) if r.revoked_at is None]
    assert len(live) == 1


def test_site_admin_logs_a_user_out_everywhere(client, post, factory, login):
    user = factory.user(email="teacher@example.kz")
    admin = factory.user(is_site_admin=True)
    login_form(client, post, user, remember="y")
    stolen_remember = copy_of(client, names=("remember_token",))
    admin_client = client.application.test_client()
    login(admin_client, admin)

    page = admin_client.get(f"/admin/users/{user.id}")
    assert page.status_code == 200
    assert f"/admin/users/{user.id}/sessions/end" in page.get_data(as_text=True)
    # The profile links to this page for site administrators only.
    assert f"/admin/users/{user.id}" in admin_client.get(f"/u/{user.id}").get_data(as_text=True)
    assert f"/admin/users/{user.id}" not in client.get(f"/u/{user.id}").get_data(as_text=True)

    # Not for the user themself, nor without a CSRF token.
    assert post(client, f"/admin/users/{user.id}/sessions/end").status_code == 403
    assert admin_client.post(f"/admin/users/{user.id}/sessions/end").status_code == 400
    assert post(admin_client, "/admin/users/999999/sessions/end").status_code == 404
    assert logged_in(client)

    resp = post(admin_client, f"/admin/users/{user.id}/sessions/end")
    assert resp.status_code == 302
    assert not logged_in(client)
    assert not logged_in(stolen_remember)
    assert logged_in(admin_client)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.sessions_end"))
    assert entry.actor_id == admin.id and entry.target == "teacher@example.kz"
    assert entry.details == {"user_id": user.id, "ended": 1}


def test_a_deactivated_account_is_signed_out(client, post, factory):
    """(Flask-Login's UserMixin also treats an inactive user as logged out: two layers.)"""
    user = factory.user()
    login_form(client, post, user)
    user.active = False
    db.session.commit()
    assert not logged_in(client)


def test_user_and_session_load_in_one_query(client, post, factory, count_queries):
    user = factory.user()
    login_form(client, post, user)
    db.session.expire_all()
    with count_queries() as counter:
        assert client.get(PRIVATE).status_code == 200
    sessions_read = [s for s in counter.statements if "core_user_session" in s]
    users_read = [s for s in counter.statements if re.search(r"\bcore_user\b(?!_)", s)]
    assert len(sessions_read) == 1 and users_read == sessions_read, counter.statements


def test_last_seen_is_written_at_most_every_few_minutes(client, post, factory):
    user = factory.user()
    login_form(client, post, user)
    (row,) = rows(user)
    start = row.last_seen_at
    # Seen a minute ago: not written again.
    row.last_seen_at = start - dt.timedelta(minutes=1)
    db.session.commit()
    client.get(PRIVATE)
    assert rows(user)[0].last_seen_at == start - dt.timedelta(minutes=1)
    # Seen ten minutes ago: written.
    row = rows(user)[0]
    row.last_seen_at = start - dt.timedelta(minutes=10)
    db.session.commit()
    client.get(PRIVATE)
    assert rows(user)[0].last_seen_at > start - dt.timedelta(minutes=10)


def test_a_session_idle_longer_than_the_remember_duration_is_dead(client, post, factory):
    user = factory.user()
    login_form(client, post, user, remember="y")
    row = rows(user)[0]
    row.last_seen_at = row.last_seen_at - dt.timedelta(days=366)
    db.session.commit()
    assert not logged_in(client)


def test_a_bare_user_id_in_the_session_is_refused(make_app, factory):
    """Cookies signed before server-side sessions held only the user id: they no longer work."""
    app = make_app(plugins="sample")
    with app.app_context():
        user = factory.user()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        assert not logged_in(client)
        for junk in ("abc", f"{user.id}:", f"{user.id}:forged", ":x", "9" * 40 + ":x"):
            with client.session_transaction() as session:
                session["_user_id"] = junk
            assert not logged_in(client), junk


def test_old_ended_sessions_are_deleted_by_a_daily_job(client, post, factory):
    from core.services import jobs

    user = factory.user()
    for _ in range(3):
        login_form(client.application.test_client(), post, user)
    ended_long_ago, ended_lately, live = rows(user)
    base = live.last_seen_at
    ended_long_ago.revoked_at = base - dt.timedelta(days=31)
    ended_lately.revoked_at = base - dt.timedelta(days=1)
    db.session.commit()
    report = jobs.run_due(base)
    assert report["core.prune_sessions"] == "ran"
    assert [r.id for r in rows(user)] == [ended_lately.id, live.id]


# Cookies ----------------------------------------------------------------------------------------


def set_cookies(resp) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in resp.headers.getlist("Set-Cookie")}


def test_cookies_are_samesite_lax_and_httponly(client, post, factory):
    user = factory.user()
    cookies = set_cookies(login_form(client, post, user, remember="y"))
    for name in ("session", "remember_token"):
        assert "SameSite=Lax" in cookies[name] and "HttpOnly" in cookies[name], cookies[name]
        assert "Secure" not in cookies[name]  # BASE_URL is http here


@pytest.mark.parametrize(
    ("config", "env", "secure"),
    [
        ({"BASE_URL": "https://qauym.example.kz"}, {}, True),
        ({"BASE_URL": "https://qauym.example.kz", "SESSION_COOKIE_SECURE": False}, {}, False),
        ({"BASE_URL": "https://qauym.example.kz"}, {"QAUYM_SESSION_COOKIE_SECURE": "false"}, False),
        ({"BASE_URL": "http://localhost"}, {"QAUYM_SESSION_COOKIE_SECURE": "true"}, True),
    ],
)
def test_secure_cookies_follow_the_base_url_unless_set(
    make_app, factory, post, monkeypatch, config, env, secure
):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = make_app(plugins="sample", **config)
    with app.app_context():
        user = factory.user()
        client = app.test_client()
        cookies = set_cookies(login_form(client, post, user, remember="y"))
        for name in ("session", "remember_token"):
            assert ("Secure" in cookies[name]) is secure, cookies[name]
            assert "SameSite=Lax" in cookies[name]


def test_the_reader_comes_with_unread_count_and_regions_in_one_statement(
    client, factory, login, count_queries
):
    """What every page asks about a member (the unread badge, the regions they administer)
    is read in the statement that loads them from the session, and still follows changes."""
    from core.models import Notification, RegionAdmin

    region, other_region = factory.region(), factory.region()
    user = factory.user()
    db.session.add_all(
        [
            RegionAdmin(user_id=user.id, region_id=region.id),
            RegionAdmin(user_id=user.id, region_id=other_region.id),
            Notification(user_id=user.id, kind="core.test", title="Бір"),
            Notification(user_id=user.id, kind="core.test", title="Екі"),
        ]
    )
    db.session.commit()
    login(client, user)

    with count_queries() as counter:
        html = client.get("/").get_data(as_text=True)
    about_reader = [
        s for s in counter.statements if "core_region_admin" in s or "core_notification" in s
    ]
    assert len(about_reader) == 1 and "core_user_session" in about_reader[0]
    assert re.search(r'class="badge"[^>]*>2<', html)
    assert 'href="/admin"' in html  # a regional administrator sees the admin area

    db.session.execute(
        sa_update(Notification)
        .where(Notification.user_id == user.id)
        .values(read_at=dt.datetime(2026, 1, 1))
    )
    db.session.execute(sa_delete(RegionAdmin).where(RegionAdmin.user_id == user.id))
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert 'class="badge"' not in html and 'href="/admin"' not in html


def test_a_column_read_with_the_user_after_the_first_page_is_read_from_then_on(
    client, factory, login
):
    """:func:`sessions.read_with_user` may be called after a page has been served (a plugin
    imported late): the loader's statement, built once, is built again with the new column."""
    from sqlalchemy import func, literal

    from core.models import User
    from core.services import sessions

    user = factory.user(full_name="Әлия Нұрланқызы")
    login(client, user)
    assert client.get(PRIVATE).status_code == 200
    seen: list[tuple[int, object]] = []

    def column():
        return select(func.length(User.full_name) + literal(0)).scalar_subquery()

    entry = (column, lambda u, value: seen.append((u.id, value)))
    sessions.read_with_user(*entry)
    try:
        assert client.get(PRIVATE).status_code == 200
        assert seen == [(user.id, len("Әлия Нұрланқызы"))]
    finally:
        sessions._WITH_USER.remove(entry)
        sessions._load_statement.cache_clear()
    assert client.get(PRIVATE).status_code == 200 and len(seen) == 1


def test_the_reader_comes_with_memberships_and_plugin_switches_in_one_statement(
    client, factory, login, count_queries
):
    """A member's page checks their memberships and where a plugin is switched on; both are
    read in the statement that loads the member (core.services.sessions, permissions,
    plugin_gate), and both still follow changes from one request to the next."""
    from core.models import Membership
    from core.services import plugin_gate

    home, away = factory.region(), factory.region()
    here = factory.association(region_id=home.id)
    there = factory.association(region_id=away.id)
    own_switch = factory.association(region_id=home.id)
    user = factory.user()
    for a in (here, there, own_switch):
        factory.member(a, user)
    admin = factory.user(is_site_admin=True)
    plugin_gate.set_switch("sample", False, actor=admin, region_id=away.id)
    plugin_gate.set_switch("sample", False, actor=admin, association_id=own_switch.id)
    plugin_gate.set_switch("sample", True, actor=admin, association_id=there.id)
    plugin_gate.set_switch("sample", False, actor=admin, association_id=there.id)
    db.session.commit()
    login(client, user)

    with count_queries() as counter:
        assert client.get(f"/sample/{here.slug}").status_code == 200
    read = [s for s in counter.statements if "core_membership" in s or "core_plugin_switch" in s]
    assert len(read) == 1 and "core_user_session" in read[0], counter.statements
    assert client.get(f"/sample/{there.slug}").status_code == 404  # off for it and its region
    assert client.get(f"/sample/{own_switch.slug}").status_code == 404  # off for it

    plugin_gate.set_switch("sample", True, actor=admin, association_id=there.id)
    db.session.execute(sa_delete(Membership).where(Membership.association_id == here.id))
    db.session.commit()
    assert client.get(f"/sample/{there.slug}").status_code == 200
    assert client.get(f"/sample/{here.slug}").status_code == 403

    # A page that writes the session's last sight commits before the page reads the
    # memberships: they are read again, in one statement.
    (row,) = rows(user)
    row.last_seen_at -= dt.timedelta(minutes=10)
    seen = row.last_seen_at
    db.session.commit()
    db.session.expire_all()
    with count_queries() as counter:
        assert client.get(f"/sample/{there.slug}").status_code == 200
    memberships = [s for s in counter.statements if "FROM core_membership" in s]
    assert len(memberships) == 1, counter.statements
    assert rows(user)[0].last_seen_at > seen


def test_a_member_of_nothing_with_no_switch_set_is_read_in_one_statement(
    client, factory, login, count_queries
):
    association = factory.association()
    user = factory.user()
    login(client, user)
    with count_queries() as counter:
        assert client.get(f"/sample/{association.slug}").status_code == 403
    read = [s for s in counter.statements if "core_membership" in s or "core_plugin_switch" in s]
    assert len(read) == 1 and "core_user_session" in read[0], counter.statements
