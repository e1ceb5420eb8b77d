"""The site's URLs: safe redirect targets and links, and ``url_for`` where no request is
running (jobs from cron, ``qauym demo``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def is_local_path(target: str | None) -> bool:
    """A path on this site (``/forum/t/1``), never another host: not ``//host``, ``/\\host``
    (browsers read a backslash as a slash), a scheme, or control characters."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str | None = None) -> str:
    """Where to redirect after a form: ``target`` (a ``next`` value) when it is a path on
    this site, else ``default`` (the home page when none is given). Never an open redirect."""
    if is_local_path(target):
        return target
    return default or url_for("core.index")


def safe_link(url: str | None) -> str | None:
    """A link to show that plugins or users supplied: a path on this site or an http(s)
    address; anything else (``javascript:``, ``//host``) is dropped rather than rendered."""
    url = (url or "").strip()
    if is_local_path(url):
        return url
    if urlsplit(url).scheme.lower() in ("http", "https") and urlsplit(url).netloc:
        return url
    return None


@contextmanager
def site_request_context() -> Iterator[None]:
    """Let ``url_for`` work outside a request: a request context for the configured
    ``BASE_URL`` (scheme, host and any path prefix) when none is active. The core runs jobs
    and plugins' demo hooks inside it, so plugins can simply call ``url_for``."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
        yield
