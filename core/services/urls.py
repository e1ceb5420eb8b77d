"""Building the site's URLs where no request is running (jobs from cron, ``qauym demo``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_request_context


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
