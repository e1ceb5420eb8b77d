"""One stylesheet for every page: ``/bundle/<digest>.css``.

``base.html`` links a single file: the core's ``core/static/qauym.css`` followed by the
``<name>/static/<name>.css`` of every plugin the app loaded, in the order of ``PLUGINS`` (a
plugin's rules come after the core's, as they did when each file had its own ``<link>``),
comments and needless white space stripped by :func:`minify`. Why one file: each stylesheet in
``<head>`` holds back the first paint until it has arrived, and on a slow link every extra file
costs a round trip (over HTTP/1.1 a new connection too), while all the plugins' rules together
weigh a few kilobytes. A plugin switched off for one association keeps its rules in the bundle:
they style only its own pages' class names, so they do nothing elsewhere, and one file for the
whole site is fetched once by each browser and then kept.

The answer: ``Cache-Control: public, max-age=31536000, immutable`` (the digest in the URL is a
SHA-256 of the bundled bytes, so a new version has a new URL), a strong ``ETag`` and ``304`` for
``If-None-Match``, and gzip, made once, when the client accepts it and the app compresses at
all (``GZIP``; behind nginx the proxy compresses). A digest that is not the current one (a page
kept from before a deployment, or a server of the previous version behind the same proxy) is
redirected, uncached, to the current bundle, so no URL ever names two contents.

``url(...)`` references to files beside a stylesheet are rewritten to point there from the
bundle's URL. A file with ``@import`` cannot be joined to others (``@import`` must come first):
it is linked on its own, as before, with a version in its URL.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, current_app, redirect, request, url_for

#: Sent with the bundle: the URL changes whenever the content does.
CACHE_CONTROL = "public, max-age=31536000, immutable"
DIGEST_RE = re.compile(r"[0-9a-f]{16}")

# A CSS string or comment, or a run of white space, or one character (minify's tokens).
_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|\s+|.', re.S)
# No white space is needed next to these (outside strings). Not ":" before (``a :hover`` is not
# ``a:hover``), nor "+", "-", ">" or "~" (``calc(1px + 2%)`` needs its spaces).
_NO_SPACE_AROUND = set("{};,")
_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""")


def minify(css: str) -> str:
    """``css`` without comments and with white space only where it means something: runs of
    white space become one space, dropped next to ``{ } ; ,``, after ``:`` and at either end;
    ``;}`` becomes ``}``. Strings are kept as they are."""
    out: list[str] = []
    pending_space = False
    for token in _TOKEN.findall(css):
        if token.startswith("/*"):
            pending_space = True  # ``a/**/b`` is two words
            continue
        if token.isspace():
            pending_space = True
            continue
        needs_space = out and out[-1] not in _NO_SPACE_AROUND and out[-1] != ":"
        if pending_space and needs_space and token not in _NO_SPACE_AROUND:
            out.append(" ")
        pending_space = False
        if token == "}" and out and out[-1] == ";":  # noqa: S105 - a CSS token, not a secret
            out.pop()
        out.append(token)
    return "".join(out)


def _absolute_urls(css: str, base: str) -> str:
    """Relative ``url(file)`` made relative to the bundle's URL instead (``base``: the way from
    ``/bundle/`` to the folder of the file)."""

    def fix(m: re.Match[str]) -> str:
        quote, target = m.group(1), m.group(2)
        if target.startswith(("/", "#", "data:")) or re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):
            return m.group(0)
        return f"url({quote}{base}{target}{quote})"

    return _URL.sub(fix, css)


@dataclass(frozen=True)
class Bundle:
    digest: str
    css: bytes
    gzipped: bytes
    #: (endpoint, filename, version) of files linked on their own (they use ``@import``).
    separate: tuple[tuple[str, str, str], ...] = ()


def _sources(app: Flask) -> list[tuple[str, str, Path]]:
    """(endpoint, URL prefix, path) of the core stylesheet and of each loaded plugin's (mounted
    at ``/<name>`` by the core, its static files at ``/<name>/static/``)."""
    # Prefixes relative to /bundle/, so they hold under any script root too.
    found = [("static", "../static/", Path(app.static_folder) / "qauym.css")]
    for name in app.extensions["qauym_plugins"].enabled:
        bp = app.blueprints.get(name)
        if bp is None or not bp.has_static_folder:
            continue
        path = Path(bp.static_folder) / f"{name}.css"
        if path.is_file():
            found.append((f"{name}.static", f"../{name}/static/", path))
    return found


def build(app: Flask) -> Bundle:
    parts: list[str] = []
    separate: list[tuple[str, str, str]] = []
    for endpoint, prefix, path in _sources(app):
        text = path.read_text(encoding="utf-8")
        if re.search(r"@import\b", text, re.I):
            version = hashlib.sha256(text.encode()).hexdigest()[:12]
            separate.append((endpoint, path.name, version))
            continue
        text = re.sub(r"@charset\s+[^;]*;", "", text, flags=re.I)
        parts.append(minify(_absolute_urls(text, prefix)))
    css = "\n".join(parts).encode("utf-8")
    return Bundle(
        digest=hashlib.sha256(css).hexdigest()[:16],
        css=css,
        gzipped=gzip.compress(css, compresslevel=9, mtime=0),
        separate=tuple(separate),
    )


def current(app: Flask | None = None) -> Bundle:
    """The app's bundle, built once (after the plugins' blueprints are registered) and again on
    every call in debug mode, where files change under a running app."""
    app = app or current_app._get_current_object()
    bundle = app.extensions.get("qauym_stylesheet_bundle")
    if bundle is None or app.debug:
        bundle = app.extensions["qauym_stylesheet_bundle"] = build(app)
    return bundle


def urls() -> list[str]:
    """The stylesheet URLs every page links: the bundle, then any file linked on its own."""
    bundle = current()
    return [url_for("stylesheet_bundle", digest=bundle.digest)] + [
        url_for(endpoint, filename=filename, v=version)
        for endpoint, filename, version in bundle.separate
    ]


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def serve(digest: str) -> Response:
    if not DIGEST_RE.fullmatch(digest):
        abort(404)
    bundle = current()
    if digest != bundle.digest:
        resp = redirect(url_for("stylesheet_bundle", digest=bundle.digest))
        resp.headers["Cache-Control"] = "no-cache"
        return resp
    packed = bool(current_app.config.get("GZIP")) and _accepts_gzip()
    tag = bundle.digest + ("-gzip" if packed else "")
    # Either tag names these same rules: a copy kept in either encoding is still good.
    if request.if_none_match.contains(bundle.digest) or request.if_none_match.contains(
        bundle.digest + "-gzip"
    ):
        resp = Response(status=304, mimetype="text/css")
    else:
        resp = Response(bundle.gzipped if packed else bundle.css, mimetype="text/css")
        if packed:
            resp.headers["Content-Encoding"] = "gzip"
    resp.set_etag(tag)
    resp.headers["Cache-Control"] = CACHE_CONTROL
    resp.headers["Vary"] = "Accept-Encoding"
    return resp


def init_app(app: Flask) -> None:
    app.add_url_rule("/bundle/<digest>.css", "stylesheet_bundle", serve, methods=["GET"])
