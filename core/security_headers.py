"""Security headers on every response, set in one ``after_request``.

* HTML pages get a strict Content-Security-Policy (:data:`CSP`): everything from this site
  only, no inline styles or scripts, no framing, forms post only here. A view that already set
  its own (stricter) policy keeps it: uploads are served with ``default-src 'none'; sandbox``.
* Every response gets ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.
* ``Strict-Transport-Security`` is sent only when the ``BASE_URL`` setting is ``https://``:
  over plain HTTP (a laptop, the tests) it would be meaningless or harmful.
* Static files requested with a version (``?v=...``, see :func:`core.templating.stylesheets`)
  may be cached for a year: the version changes whenever the file does.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"
STATIC_MAX_AGE = 365 * 24 * 3600


def add_security_headers(resp: Response) -> Response:
    headers = resp.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if resp.mimetype in ("text/html", "application/xhtml+xml"):
        headers.setdefault("Content-Security-Policy", CSP)
    if str(current_app.config.get("BASE_URL") or "").lower().startswith("https://"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    endpoint = request.endpoint or ""
    static = endpoint == "static" or endpoint.endswith(".static")
    if static and request.args.get("v") and resp.status_code in (200, 304):
        resp.cache_control.public = True
        resp.cache_control.max_age = STATIC_MAX_AGE
        resp.cache_control.immutable = True
        resp.cache_control.no_cache = None
    return resp


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
