"""In Chromium, with the strict Content-Security-Policy: every page without URL arguments (or
with an association's slug) of every blueprint loads with its stylesheets applied and nothing
refused. The ``page`` fixture fails on any "Refused to ..." console report; this test also
listens for ``securitypolicyviolation`` events and checks that styles really apply."""

from __future__ import annotations

import pytest
from flask import url_for

from core.extensions import db
from core.testing_browser import browser_login

pytestmark = pytest.mark.browser

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


def _pages(app, slug: str) -> list[str]:
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            name, _, view = rule.endpoint.rpartition(".")
            if not name or view == "static" or "GET" not in rule.methods:
                continue
            if rule.arguments - {"slug"} or rule.rule.endswith((".ics", ".csv", ".xml")):
                continue
            urls.append(url_for(rule.endpoint, **({"slug": slug} if rule.arguments else {})))
    return sorted(urls)


def test_every_page_renders_under_the_csp(live_app, live_server, page, factory):
    with live_app.app_context():
        admin = factory.user(email="root@example.kz", is_site_admin=True)
        association = factory.association(slug="csp-net", contacts="Қостанай\nтел. 1")
        factory.member(association, admin, role="leader")
        db.session.commit()
        urls = _pages(live_app, association.slug)
    assert len(urls) > 20
    page.add_init_script(LISTEN)
    browser_login(page, live_server.url, "root@example.kz")

    seen_html = 0
    for url in urls:
        resp = page.goto(live_server.url + url)
        if resp is None or "text/html" not in (resp.headers.get("content-type") or ""):
            continue
        seen_html += 1
        assert page.evaluate("window.__csp") == [], url
    assert seen_html > 20

    # the stylesheets apply: a core rule (qauym.css) and a plugin's (masterclasses.css)
    page.goto(f"{live_server.url}/a/{association.slug}")
    assert page.locator("dd.pre").evaluate("e => getComputedStyle(e).whiteSpace") == "pre-line"
    page.goto(f"{live_server.url}/masterclasses/calendar")
    cell = page.locator("table.mc-month td").first
    assert cell.evaluate("e => getComputedStyle(e).height") == "80px"  # 5rem
    assert page.evaluate("window.__csp") == []
