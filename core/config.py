"""Configuration: defaults, then ``instance/qauym.cfg`` (or ``QAUYM_CONFIG``), then ``QAUYM_*``.

Every setting a deployer may change is listed in :data:`DEFAULTS` and documented in README.md.
An environment variable ``QAUYM_<NAME>`` overrides the setting ``<NAME>``; values are parsed
as JSON when they look like JSON (numbers, booleans, lists), otherwise used as strings.
"""

from __future__ import annotations

import json
import os
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Comma-separated plugin names, or "all" (every installed plugin).
    "PLUGINS": "all",
    # SQLAlchemy URL; empty means a SQLite file ``qauym.db`` in the instance folder.
    "DATABASE_URL": "",
    "SECRET_KEY": "",
    "DEFAULT_LOCALE": "kk",
    "LANGUAGES": ["kk", "ru", "en"],
    "TIMEZONE": "Asia/Almaty",
    # Quiet hours in the site time zone: emails created then wait until the end.
    "QUIET_HOURS_START": "23:00",
    "QUIET_HOURS_END": "07:00",
    # Email: "console" writes to the outbox table and the log; "smtp" sends through SMTP_*.
    "MAIL_BACKEND": "console",
    "MAIL_FROM": "Qauym <noreply@qauym.local>",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    # Reply by email (core/services/inbound_mail.py): notification emails carry
    # Reply-To: <REPLY_PREFIX>+<key>@<REPLY_DOMAIN>; empty REPLY_DOMAIN turns it off.
    "REPLY_DOMAIN": "",
    "REPLY_PREFIX": "reply",
    "REPLY_KEY_DAYS": 60,
    # Replies by email accepted per user and hour; larger messages are refused.
    "INBOUND_PER_HOUR": 20,
    "INBOUND_MAX_KB": 2048,
    # Rate limits (Flask-Limiter); storage "memory://" or e.g. "redis://host:6379".
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_RATE_LIMIT": "10 per minute",
    "RESET_RATE_LIMIT": "5 per hour",
    # Failed logins per account (the email typed), from any address.
    "LOGIN_ACCOUNT_RATE_LIMIT": "10 per 15 minutes",
    "REGISTER_RATE_LIMIT": "10 per hour",
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    "PROXY_FIX": 0,
    # Secure flag of the session and remember-me cookies: empty means "when BASE_URL is https".
    "SESSION_COOKIE_SECURE": "",
    # Uploads are stored outside static/ in this folder (default: instance/uploads).
    "UPLOAD_FOLDER": "",
    "MAX_UPLOAD_MB": 10,
    # Where uploads are kept: empty (UPLOAD_FOLDER on this server) or s3://bucket/prefix,
    # with the S3_* settings below (see core/services/storage.py).
    "STORAGE_URL": "",
    "S3_ENDPOINT_URL": "",
    "S3_ACCESS_KEY": "",
    "S3_SECRET_KEY": "",
    "S3_REGION": "",
    # HTTP caching (core/services/http_cache.py; README "HTTP caching"). gzip of pages, CSS and
    # JS by the app: turn off when nginx compresses (deploy/nginx/qauym.conf.template does).
    "GZIP": True,
    # Pages of anonymous visitors kept this many seconds at most, and dropped at every write.
    "PAGE_CACHE": True,
    "PAGE_CACHE_SECONDS": 60,
    # Redis for the page cache (shared by several servers); empty: RATELIMIT_STORAGE_URI when
    # that is redis://, else one cache per worker process.
    "CACHE_REDIS_URL": "",
    # Public base URL used in emails, certificates and calendar feeds.
    "BASE_URL": "http://localhost:5000",
    "SITE_NAME": "Qauym",
    # First month of the school year of activity plans and annual reports (9: September).
    "SCHOOL_YEAR_START_MONTH": 9,
}

BOOL_WORDS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
_BOOL = BOOL_WORDS


def _parse(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return _BOOL.get(raw.strip().lower(), bool(raw))
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        if raw.strip().startswith("["):
            return json.loads(raw)
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def from_environ(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Settings taken from ``QAUYM_*`` environment variables."""
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for key, raw in environ.items():
        if not key.startswith("QAUYM_") or key == "QAUYM_CONFIG":
            continue
        name = key[len("QAUYM_") :]
        out[name] = _parse(raw, DEFAULTS.get(name, ""))
    return out
