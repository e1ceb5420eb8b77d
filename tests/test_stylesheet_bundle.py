"""The one stylesheet of every page (core.stylesheets): linked once, the core's rules first and
then each loaded plugin's, cached for a year under a URL that changes with its content, gzipped
once, answered with 304 when the browser still has it; the minifier keeps what the rules mean
(in Chromium: the same CSS rules as the files it was made of)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from core import stylesheets

ROOT = Path(__file__).resolve().parents[1]
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')
BUNDLE_URL = re.compile(r"/bundle/[0-9a-f]{16}\.css")


def _links(client) -> list[str]:
    return STYLESHEET.findall(client.get("/login").get_data(as_text=True))


def _files(app) -> list[Path]:
    """The source files of the bundle, in its order."""
    return [path for _, _, path in stylesheets._sources(app)]


def test_every_page_links_one_bundle_of_the_core_and_the_plugins_rules(make_app):
    app = make_app(plugins="forum,sample")
    with app.app_context():
        client = app.test_client()
        (link,) = _links(client)
        assert BUNDLE_URL.fullmatch(link), link
        css = client.get(link).get_data(as_text=True)
        assert _files(app) == [
            ROOT / "core/static/qauym.css",
            ROOT / "plugins/forum/static/forum.css",
            ROOT / "tests/plugin_site/qauym_sample/static/sample.css",
        ]
        # The core's rules first, then each plugin's in the order of PLUGINS; no comments.
        core_at = css.index(":root{--fg:#1d2430")
        forum_at = css.index(".topic-row .title{font-weight:600}")
        sample_at = css.index(".sample-notes{padding-left:1.2rem}")
        assert core_at == 0 < forum_at < sample_at
        assert "/*" not in css
        # The files themselves are still served (nginx serves them from disk).
        assert client.get("/forum/static/forum.css").status_code == 200

    only_core = make_app(plugins="none")
    with only_core.app_context():
        client = only_core.test_client()
        (core_link,) = _links(client)
        core_css = client.get(core_link).get_data(as_text=True)
    assert core_link != link  # another set of plugins, another bundle
    assert ".topic-row" not in core_css and core_css.startswith(":root{")


def test_the_bundle_is_cached_for_a_year_gzipped_and_revalidated(make_app):
    app = make_app(plugins="forum")
    with app.app_context():
        client = app.test_client()
        (link,) = _links(client)
        plain = client.get(link)
        assert plain.status_code == 200 and plain.mimetype == "text/css"
        assert "Content-Encoding" not in plain.headers
        assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert plain.headers["X-Content-Type-Options"] == "nosniff"
        assert "Accept-Encoding" in plain.headers["Vary"]
        assert "Content-Security-Policy" not in plain.headers

        packed = client.get(link, headers={"Accept-Encoding": "gzip, deflate"})
        assert packed.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed.data) == plain.data
        assert len(packed.data) < len(plain.data) / 2
        assert packed.headers["Cache-Control"] == plain.headers["Cache-Control"]
        # One strong tag per encoding; either one kept by the browser is still good.
        assert plain.headers["ETag"] != packed.headers["ETag"]
        for tag in (plain.headers["ETag"], packed.headers["ETag"]):
            for accept in ("", "gzip"):
                again = client.get(link, headers={"If-None-Match": tag, "Accept-Encoding": accept})
                assert again.status_code == 304 and again.data == b"", (tag, accept)
                assert again.headers["Cache-Control"] == plain.headers["Cache-Control"]
        other = client.get(link, headers={"If-None-Match": '"0123456789abcdef"'})
        assert other.status_code == 200 and other.data == plain.data


def test_no_gzip_from_the_app_when_a_proxy_compresses(make_app):
    app = make_app(plugins="forum", GZIP=False)
    with app.app_context():
        client = app.test_client()
        (link,) = _links(client)
        resp = client.get(link, headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200 and "Content-Encoding" not in resp.headers
    assert resp.data.startswith(b":root{")


def test_an_old_digest_is_sent_to_the_current_bundle_and_a_bad_one_is_a_404(make_app):
    app = make_app(plugins="forum")
    with app.app_context():
        client = app.test_client()
        (link,) = _links(client)
        old = client.get("/bundle/0123456789abcdef.css")
        assert old.status_code == 302 and old.headers["Location"] == link
        assert old.headers["Cache-Control"] == "no-cache"
        for bad in ("/bundle/XYZ.css", "/bundle/0123.css", "/bundle/" + "a" * 64 + ".css"):
            assert client.get(bad).status_code == 404, bad


@pytest.mark.parametrize(
    ("css", "expected"),
    [
        ("/* note */\na  {\n  color: red ;\n}\n", "a{color:red}"),
        # A space before ":" stays: "a :hover" (a descendant's pseudo-class) is not "a:hover".
        ("a{color : red}", "a{color :red}"),
        ("nav a :hover { x: y }", "nav a :hover{x:y}"),
        # calc() needs the spaces around + and -; combinators keep theirs.
        (
            "p{width:calc(100%  -  2rem)} ul > li + li ~ b {}",
            "p{width:calc(100% - 2rem)}ul > li + li ~ b{}",
        ),
        # Strings are left alone, with their spaces, braces and comment-like text.
        ('q::before { content: "  /* { ; } */  " }', 'q::before{content:"  /* { ; } */  "}'),
        ("a{font-family: 'Segoe  UI' , sans-serif}", "a{font-family:'Segoe  UI',sans-serif}"),
        (
            "@media (min-width: 48rem) { .a , .b { margin : 0 auto ; } }",
            "@media (min-width:48rem){.a,.b{margin :0 auto}}",
        ),
        ("a{color:red !important}", "a{color:red !important}"),
        ("a/**/b{}", "a b{}"),
    ],
)
def test_minify_keeps_what_the_rules_mean(css, expected):
    assert stylesheets.minify(css) == expected


def test_relative_urls_point_from_the_bundle_to_the_plugins_files():
    css = (
        ".a{background:url(icons/pen.svg)}.b{background:url('x.png')}"
        '.c{background:url("/static/y.png")}.d{background:url(data:image/gif;base64,R0l=)}'
        ".e{background:url(https://example.kz/z.png)}.f{behavior:url(#frag)}"
    )
    assert stylesheets._absolute_urls(css, "../forum/static/") == (
        ".a{background:url(../forum/static/icons/pen.svg)}"
        ".b{background:url('../forum/static/x.png')}"
        '.c{background:url("/static/y.png")}.d{background:url(data:image/gif;base64,R0l=)}'
        ".e{background:url(https://example.kz/z.png)}.f{behavior:url(#frag)}"
    )


@pytest.mark.browser
def test_chromium_reads_the_same_rules_from_the_bundle_as_from_the_files(make_app, page):
    app = make_app(plugins="all")
    with app.app_context():
        bundle = stylesheets.current(app).css.decode()
        files = "\n".join(path.read_text(encoding="utf-8") for path in _files(app))
    assert len(_files(app)) >= 6  # the core and every built-in plugin with a stylesheet
    page.goto("about:blank")
    rules = page.evaluate(
        """([a, b]) => [a, b].map(text => {
             const sheet = new CSSStyleSheet();
             sheet.replaceSync(text);
             return [...sheet.cssRules].map(r => r.cssText);
           })""",
        [files, bundle],
    )
    assert len(rules[0]) > 100
    assert rules[1] == rules[0]
