"""Security headers on every response (core.security_headers), through the app: every GET page
of every blueprint (core, each built-in plugin, the sample third-party plugin; the list comes
from ``app.url_map``, so a new plugin is covered without touching this file), error pages, JSON
and static files; and the stylesheets the core links for the plugins that ship one."""

from __future__ import annotations

import re

from flask import Response

from core.extensions import db

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


def _world(factory):
    admin = factory.user(email="root@example.kz", is_site_admin=True)
    association = factory.association(slug="headers-net")
    factory.member(association, admin, role="leader")
    db.session.commit()
    return admin, association


def _get_routes(app, slug: str) -> dict[str, list[str]]:
    """Every blueprint's GET URLs that need no argument or only an association slug."""
    urls: dict[str, list[str]] = {name: [] for name in app.blueprints}
    for rule in app.url_map.iter_rules():
        name, _, view = rule.endpoint.rpartition(".")
        if not name or view == "static" or "GET" not in rule.methods:
            continue
        if rule.arguments - {"slug"}:
            continue
        with app.test_request_context():
            from flask import url_for

            args = {"slug": slug} if "slug" in rule.arguments else {}
            urls[name].append(url_for(rule.endpoint, **args))
    return urls


def assert_html_headers(resp: Response, where: str) -> None:
    assert resp.headers.get("Content-Security-Policy") == CSP, where
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"], where
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", where
    assert resp.headers.get("Referrer-Policy") == "same-origin", where


def test_one_page_of_every_blueprint_sends_the_headers(app, client, factory, login):
    admin, association = _world(factory)
    login(client, admin)
    routes = _get_routes(app, association.slug)
    assert {"core", "forum", "masterclasses", "expertise", "mentoring", "sample"} <= set(routes)

    html_pages: dict[str, list[str]] = {name: [] for name in routes}
    for name, urls in routes.items():
        for url in urls:
            resp = client.get(url)
            assert resp.headers.get("X-Content-Type-Options") == "nosniff", url
            assert "Strict-Transport-Security" not in resp.headers, url  # BASE_URL is http
            if resp.status_code == 200 and resp.mimetype == "text/html":
                assert_html_headers(resp, url)
                html_pages[name].append(url)
    without = [name for name, pages in html_pages.items() if not pages]
    assert not without, f"blueprints with no HTML page checked: {without}"


def test_error_pages_json_and_downloads_get_the_headers(app, client, factory):
    _world(factory)
    missing = client.get("/a/no-such-association")
    assert missing.status_code == 404
    assert_html_headers(missing, "404")

    health = client.get("/healthz")
    assert health.mimetype == "application/json"
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in health.headers

    feed = client.get("/masterclasses/a/headers-net/feed.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert feed.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_only_when_the_site_is_served_over_https(make_app):
    for base_url, expected in (
        ("https://qauym.example.kz", HSTS),
        ("HTTPS://qauym.example.kz/", HSTS),
        ("http://qauym.example.kz", None),
    ):
        app = make_app(plugins="sample", BASE_URL=base_url)
        with app.app_context():
            for url in ("/login", "/healthz"):
                resp = app.test_client().get(url)
                assert resp.headers.get("Strict-Transport-Security") == expected, (base_url, url)


def test_a_stricter_policy_set_by_a_view_is_kept(make_app):
    app = make_app(plugins="sample")

    @app.get("/_test/sandboxed")
    def sandboxed():
        resp = Response("<p>uploaded page</p>", mimetype="text/html")
        resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return resp

    with app.app_context():
        resp = app.test_client().get("/_test/sandboxed")
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_plugin_stylesheets_are_served_versioned_and_cached(make_app):
    """Each plugin's file stays at /<name>/static/<name>.css (nginx serves it from disk); the
    pages link one bundle of them all instead (tests/test_stylesheet_bundle.py)."""
    app = make_app(plugins="forum,sample")
    with app.app_context():
        client = app.test_client()
        links = STYLESHEET.findall(client.get("/login").get_data(as_text=True))
        assert len(links) == 1 and links[0].startswith("/bundle/"), links
        for path in ("/static/qauym.css", "/forum/static/forum.css", "/sample/static/sample.css"):
            link = f"{path}?v=0123456789ab"
            resp = client.get(link)
            assert resp.status_code == 200 and resp.mimetype == "text/css", link
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.cache_control.max_age == 365 * 24 * 3600, link
            assert resp.cache_control.public and resp.cache_control.immutable, link
        # without a version the file is revalidated rather than kept for a year
        plain = client.get("/forum/static/forum.css")
        assert plain.cache_control.max_age != 365 * 24 * 3600


def test_pages_with_their_stylesheets_stay_under_60_kb(app, client, factory, login):
    """The page-weight rule: HTML plus every stylesheet it links, for a few busy pages."""
    admin, association = _world(factory)
    association.description = "**Әдістемелік бірлестік** " * 200
    db.session.commit()
    login(client, admin)
    for url in ("/", "/associations", f"/a/{association.slug}", "/forum/", "/mentoring/"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = resp.get_data(as_text=True)
        total = len(resp.data)
        for link in STYLESHEET.findall(html):
            total += len(client.get(link).data)
        assert total < 60 * 1024, (url, total)
