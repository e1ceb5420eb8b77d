"""One guard for every redirect target (``safe_next``) and every shown link (``safe_link``)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\\evil.example/x",
        "https://evil.example/x",
        "javascript:alert(1)",
        "/\tjavascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_language_switch_never_redirects_off_the_site(client, post, target):
    resp = post(client, "/language", {"lang": "ru", "next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"] in ("/", "http://localhost/")


def test_language_switch_returns_to_a_local_page(client, post):
    resp = post(client, "/language", {"lang": "ru", "next": "/directory?q=ШЫҢ"})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/directory")


def test_safe_link_keeps_site_paths_and_web_addresses_only(app):
    from core.services.urls import safe_link

    assert safe_link("/forum/t/1") == "/forum/t/1"
    assert safe_link("https://example.kz/a") == "https://example.kz/a"
    for bad in ("//evil.example", "/\\evil.example", "javascript:alert(1)", "https:///x", ""):
        assert safe_link(bad) is None, bad
