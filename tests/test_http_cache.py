"""HTTP caching of the core (core/services/http_cache.py): conditional GET on the association
page and the directory, gzip, and the anonymous page cache with its write generation, in
process and in Redis (two servers sharing one Redis and one database)."""

from __future__ import annotations

import gzip
import re
from types import SimpleNamespace

import pytest
import redis

from core.app import create_app
from core.extensions import db
from core.models import Association, JoinPolicy, UserSession

pytestmark = pytest.mark.usefixtures("still_page_keys")

MEMBERS = re.compile(r'id="member-count">(\d+)<')
TOKEN = re.compile(rb'name="csrf_token" value="[^"]+"')


def untokened(body: bytes) -> bytes:
    """The page without its CSRF tokens (signed anew, with the time, on every request)."""
    return TOKEN.sub(b"", body)


def etag_of(resp) -> str:
    assert resp.status_code == 200
    tag = resp.headers["ETag"]
    assert tag.startswith('W/"')
    return tag


def test_association_page_and_directory_answer_304_until_they_change(app, client, factory):
    a = factory.association(slug="shyn-net", name_kk="Шың желісі")
    for url in ("/a/shyn-net", "/associations"):
        tag = etag_of(client.get(url))
        resp = client.get(url, headers={"If-None-Match": tag})
        assert resp.status_code == 304
        assert resp.data == b""
        # A list of tags, one of them ours (as a browser with two copies may send).
        resp = client.get(url, headers={"If-None-Match": f'W/"other", {tag}'})
        assert resp.status_code == 304

    tags = {url: etag_of(client.get(url)) for url in ("/a/shyn-net", "/associations")}
    a.name_kk = "Шың желісі (жаңа атау)"
    db.session.commit()
    for url, tag in tags.items():
        resp = client.get(url, headers={"If-None-Match": tag})
        assert resp.status_code == 200, url
        assert "жаңа атау" in resp.get_data(as_text=True)


def test_if_modified_since_alone_never_gets_a_304(app, client, factory):
    """No Last-Modified is sent: a date cannot tell viewers or languages apart."""
    factory.association(slug="dates")
    resp = client.get("/a/dates")
    assert "Last-Modified" not in resp.headers
    resp = client.get("/a/dates", headers={"If-Modified-Since": "Wed, 01 Jan 2200 00:00:00 GMT"})
    assert resp.status_code == 200


def test_language_switch_changes_the_tag(app, client, post, factory):
    factory.association(slug="tilder")
    tag = etag_of(client.get("/a/tilder"))
    post(client, "/language", {"lang": "ru", "next": "/a/tilder"})
    resp = client.get("/a/tilder", headers={"If-None-Match": tag})
    assert resp.status_code == 200
    assert '<html lang="ru">' in resp.get_data(as_text=True)


# gzip ------------------------------------------------------------------------------------------


def test_pages_css_and_js_are_gzipped_with_vary(app, client, factory):
    factory.association(slug="gzipped")
    plain = client.get("/a/gzipped")
    packed = client.get("/a/gzipped", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 2
    assert untokened(gzip.decompress(packed.data)) == untokened(plain.data)
    # One weak tag for both encodings, valid for either.
    assert packed.headers["ETag"] == plain.headers["ETag"]
    again = client.get(
        "/a/gzipped",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304
    assert again.data == b""

    css = client.get("/static/qauym.css", headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    raw_css = client.get("/static/qauym.css")
    assert gzip.decompress(css.data) == raw_css.data
    # A strong tag (the static file's) differs per encoding.
    assert css.headers["ETag"] != raw_css.headers["ETag"]
    assert css.headers["ETag"].endswith(':gzip"')


def test_tiny_bodies_are_not_compressed(app, client):
    resp = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert len(resp.data) < 500
    assert "Content-Encoding" not in resp.headers


def test_gzip_can_be_left_to_nginx(make_app, factory):
    app = make_app(plugins="none", GZIP=False)
    with app.app_context():
        factory.association(slug="nginx-zips")
        resp = app.test_client().get("/a/nginx-zips", headers={"Accept-Encoding": "gzip"})
        assert resp.status_code == 200
        assert "Content-Encoding" not in resp.headers


# The anonymous page cache ----------------------------------------------------------------------


def open_association(factory, slug):
    return factory.association(slug=slug, join_policy=JoinPolicy.OPEN.value)


def test_a_join_shows_at_once_to_visitors(app, client, factory, login, post):
    open_association(factory, "open-door")
    visitor = app.test_client()
    first = visitor.get("/a/open-door")
    assert MEMBERS.search(first.get_data(as_text=True)).group(1) == "0"
    second = visitor.get("/a/open-door")
    assert second.headers.get("X-Qauym-Cache") == "hit"
    assert second.get_data(as_text=True).count("csrf_token") >= 1

    teacher = factory.user()
    login(client, teacher)
    assert post(client, "/a/open-door/join").status_code == 302
    after = visitor.get("/a/open-door")
    assert after.headers.get("X-Qauym-Cache") is None
    assert MEMBERS.search(after.get_data(as_text=True)).group(1) == "1"


def test_bookkeeping_writes_keep_the_cache(app, factory, login):
    open_association(factory, "quiet")
    teacher = factory.user()
    visitor = app.test_client()
    visitor.get("/a/quiet")
    member = app.test_client()
    login(member, teacher)  # writes a server session row only
    assert db.session.query(UserSession).count() == 1
    assert visitor.get("/a/quiet").headers.get("X-Qauym-Cache") == "hit"


def test_the_cache_is_bypassed_with_a_flash_or_for_a_member(app, client, factory, login):
    open_association(factory, "bypass")
    client.get("/a/bypass")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Хабарлама")]
    resp = client.get("/a/bypass")
    assert resp.headers.get("X-Qauym-Cache") is None
    assert "Хабарлама" in resp.get_data(as_text=True)
    # Shown once; the kept copy (made without it) serves the next visit.
    assert client.get("/a/bypass").headers.get("X-Qauym-Cache") == "hit"

    login(client, factory.user(full_name="Әлия Жұмабаева"))
    for _ in range(2):
        resp = client.get("/a/bypass")
        assert resp.headers.get("X-Qauym-Cache") is None
        assert "Әлия Жұмабаева" in resp.get_data(as_text=True)


def test_the_page_cache_is_keyed_by_language_and_query(app, factory):
    open_association(factory, "keys")
    kk, ru = app.test_client(), app.test_client()
    kk.get("/a/keys")
    ru.set_cookie("lang", "ru")
    resp = ru.get("/a/keys")
    assert resp.headers.get("X-Qauym-Cache") is None
    assert '<html lang="ru">' in resp.get_data(as_text=True)
    assert ru.get("/a/keys").headers.get("X-Qauym-Cache") == "hit"
    assert '<html lang="kk">' in kk.get("/a/keys").get_data(as_text=True)
    assert kk.get("/associations?q=keys").headers.get("X-Qauym-Cache") is None


def test_page_cache_can_be_turned_off(make_app, factory):
    app = make_app(plugins="none", PAGE_CACHE=False)
    with app.app_context():
        open_association(factory, "no-cache")
        client = app.test_client()
        client.get("/a/no-cache")
        resp = client.get("/a/no-cache")
        assert resp.headers.get("X-Qauym-Cache") is None
        # Conditional GET stays.
        assert (
            client.get("/a/no-cache", headers={"If-None-Match": resp.headers["ETag"]}).status_code
            == 304
        )


# Redis: two servers, one Redis, one database --------------------------------------------------


@pytest.fixture
def two_servers(make_app, redis_server):
    config = {"CACHE_REDIS_URL": redis_server.url}
    first = make_app(plugins="none", file_db=True, **config)
    second = create_app({**first.config, "PLUGINS": "none"})
    redis_server.flush()
    return first, second


def test_two_servers_share_pages_and_invalidation_through_redis(
    two_servers, redis_server, factory, login, post
):
    a, b = two_servers
    with a.app_context():
        open_association(factory, "shared")
        teacher = SimpleNamespace(email=factory.user().email)  # for the login form

    with a.app_context():
        va = a.test_client()
        assert MEMBERS.search(va.get("/a/shared").get_data(as_text=True)).group(1) == "0"
    keys = redis.Redis.from_url(redis_server.url).keys("qauym:*")
    assert any(k.startswith(b"qauym:page:") for k in keys)

    with b.app_context():
        vb = b.test_client()
        resp = vb.get("/a/shared")
        # Kept by server A, served by server B, with B's visitor's own token.
        assert resp.headers.get("X-Qauym-Cache") == "hit"
        with vb.session_transaction() as session:
            assert session["csrf_token"]

    with a.app_context():
        member = a.test_client()
        login(member, teacher)
        assert post(member, "/a/shared/join").status_code == 302

    with b.app_context():
        resp = vb.get("/a/shared")
        assert resp.headers.get("X-Qauym-Cache") is None
        assert MEMBERS.search(resp.get_data(as_text=True)).group(1) == "1"
        assert db.session.get(Association, 1) is not None


def test_event_list_and_library_answer_304(app, client):
    for url in ("/masterclasses/", "/expertise/library"):
        tag = etag_of(client.get(url))
        assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
        assert client.get(url).headers.get("X-Qauym-Cache") == "hit"
