"""HTTP caching for slow (rural) links: validators and 304 answers, gzip, and a page cache for
anonymous visitors. A view opts in with one decorator, :func:`cached_page` (``core.api``)::

    @bp.get("/t/<id:topic_id>")
    @cached_page
    def topic(topic_id): ...

**Conditional GET.** The 200 answer of an opted-in HTML page carries a *weak* ``ETag`` computed
from the bytes the page shows, with the per-request signature of the CSRF token taken out and
the session's own CSRF secret put in, and ``Cache-Control: private, no-cache`` (the browser
keeps the page but asks every time). A request with that tag in ``If-None-Match`` gets ``304
Not Modified`` and no body. Why the bytes and not, say, the topic's ``updated_at``: a page
shows much more than one row (authors' names, reactions, the viewer's menu and roles, the
unread badge, a flashed message, the language, times relative to today), and any validator
built from a list of those would one day miss one, and then a 304 would hide a change. A digest
of what is shown cannot: two answers get the same tag only when the viewer would see the same
page, with a CSRF token that still works in this session. The render is not saved by that on
its own (the page cache below saves it for visitors); what a slow link saves is the transfer,
which is what costs there. Weak, because the same page is sent gzipped or not, here or by
nginx (nginx's gzip keeps weak tags and drops strong ones). No ``Last-Modified``: a date cannot
tell two viewers or two languages apart, so ``If-Modified-Since`` alone could not be answered
with a 304 safely; browsers send ``If-None-Match`` whenever they got an ``ETag``.

**gzip** (``GZIP``, on by default) through Flask-Compress: HTML, CSS, JS, JSON, feeds, larger
than 500 bytes, ``Vary: Accept-Encoding``. Static files (sent as streams) are compressed too;
other streamed answers (uploads, which may answer ``Range`` requests) never are. Turn it off
(``QAUYM_GZIP=0``) when nginx compresses, as ``deploy/nginx/qauym.conf.template`` does.

**Page cache for anonymous visitors** (``PAGE_CACHE``, on by default; Flask-Caching): the
answer to an anonymous GET of an opted-in page is kept for ``PAGE_CACHE_SECONDS`` under the
scheme, host, path with query, language and the current *write generation*. It is never used
(neither read nor filled) for a logged-in user, a session holding anything but the CSRF secret
(a flashed message, a half-done form, a login in progress), a view that set a cookie or marked
its answer private (:func:`not_cacheable`), or any answer but a 200 HTML page. Every page
carries the CSRF token of the header's forms (language, log out); the kept copy has a
placeholder instead, replaced by the visitor's own token when served, so no token is shared.

The *write generation* is bumped after every commit that wrote rows visitors may see: any
INSERT, UPDATE or DELETE except on tables whose ``info`` has ``page_cache="ignore"`` (server
sessions, the outbox, job runs, notifications, read markers: bookkeeping no anonymous page
shows; :data:`IGNORE` for a plugin's table). A bump makes every kept page unreachable at once.
It lives in Redis when one is configured (``CACHE_REDIS_URL``, or ``RATELIMIT_STORAGE_URI`` when
that is ``redis://``), together with the pages, so a write on one server is seen by all;
otherwise in a file of the instance folder, which the workers of one server share (each worker
keeps its own pages). Several servers without Redis must turn the page cache off.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, current_app, g, has_app_context, make_response, request, session
from flask_babel import get_locale
from flask_caching import Cache
from flask_compress import Compress
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.extensions import db

log = logging.getLogger("qauym.http_cache")

#: ``__table_args__ = (..., {"info": IGNORE})``: writes to this table do not empty the page
#: cache (bookkeeping that no anonymous page shows).
IGNORE = {"page_cache": "ignore"}
#: Core tables of that kind (the core cannot set ``info`` on every one of them by hand).
CORE_IGNORED = frozenset(
    {
        "core_user_session",
        "core_outbox_email",
        "core_job_run",
        "core_notification",
        "core_notification_pref",
        "alembic_version",
    }
)
#: Stands for the CSRF token in kept pages and in the digest. NUL never reaches a page from a
#: visitor (every input is cleaned of it), so no post can contain the placeholder.
PLACEHOLDER = "\x00csrf\x00"
#: Session keys an anonymous visitor may have for the page cache to be used: the CSRF secret
#: and Flask-Login's session-protection marks (no user, nothing shown on a page). A login
#: (``_user_id``), a flashed message (``_flashes``) or anything a view keeps leaves the cache.
ANONYMOUS_SESSION_KEYS = frozenset({"csrf_token", "_fresh", "_id"})
EXT = "qauym_http_cache"

cache = Cache()


# Write generation ------------------------------------------------------------------------------


class FileGeneration:
    """The generation as a file of the instance folder: one byte is appended per bump (an
    ``O_APPEND`` write is atomic between processes) and the generation is the file's inode and
    size (one ``stat``). The file is replaced by an empty one (a new inode) now and then."""

    ROTATE_AT = 64 * 1024

    def __init__(self, path: str) -> None:
        self.path = path

    def current(self) -> str:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return "0"
        return f"{st.st_ino}.{st.st_size}"

    def bump(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "ab") as fh:
            fh.write(b".")
            size = fh.tell()
        if size >= self.ROTATE_AT:
            tmp = f"{self.path}.{os.getpid()}.tmp"
            with open(tmp, "wb"):
                pass
            os.replace(tmp, self.path)


class RedisGeneration:
    """The generation as one Redis counter, shared by every server."""

    def __init__(self, url: str, key: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2)
        self.key = key

    def current(self) -> str:
        value = self.client.get(self.key)
        return value.decode() if value else "0"

    def bump(self) -> None:
        self.client.incr(self.key)


class State:
    def __init__(self, app: Flask) -> None:
        cfg = app.config
        self.page_cache = bool(cfg.get("PAGE_CACHE"))
        self.seconds = max(1, int(cfg.get("PAGE_CACHE_SECONDS") or 60))
        self.redis_url = redis_url(cfg)
        prefix = str(cfg.get("CACHE_KEY_PREFIX") or "qauym:")
        if self.redis_url:
            self.generation: FileGeneration | RedisGeneration = RedisGeneration(
                self.redis_url, prefix + "generation"
            )
        else:
            self.generation = FileGeneration(
                os.path.join(app.instance_path, "page_cache_generation")
            )

    def current_generation(self) -> str | None:
        try:
            return self.generation.current()
        except Exception:  # noqa: BLE001 - Redis away: serve uncached, never stale
            log.warning("page cache: generation unreadable", exc_info=True)
            return None


def redis_url(cfg: Any) -> str:
    """``CACHE_REDIS_URL``, else the rate limits' Redis (``RATELIMIT_STORAGE_URI``), else ''."""
    url = str(cfg.get("CACHE_REDIS_URL") or "").strip()
    if url:
        return url
    limits = str(cfg.get("RATELIMIT_STORAGE_URI") or "").strip()
    return limits if limits.startswith(("redis://", "rediss://")) else ""


def bump_generation(app: Flask | None = None) -> None:
    """Make every kept page unreachable (called after a commit that wrote visible rows)."""
    app = app or current_app
    state = app.extensions.get(EXT)
    if state is None:
        return
    try:
        state.generation.bump()
    except Exception:  # noqa: BLE001 - a write must not fail because the cache is away
        # Kept pages then live until PAGE_CACHE_SECONDS at most.
        log.error("page cache: generation not bumped", exc_info=True)


_WRITE = re.compile(r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)


def _written_table(statement: str, context: Any) -> str | None:
    compiled = getattr(context, "compiled", None)
    crud = any(getattr(context, k, False) for k in ("isinsert", "isupdate", "isdelete"))
    if compiled is not None and crud:
        name = getattr(getattr(compiled.statement, "table", None), "name", None)
        if name:
            return name
    m = _WRITE.match(statement)
    return m.group(1) if m else None


def _shows(table_name: str) -> bool:
    """Whether rows of this table may show on an anonymous page."""
    if table_name in CORE_IGNORED or table_name.endswith(("_fts", "_fts_data", "_fts_idx")):
        return False
    table = db.metadata.tables.get(table_name)
    return not (table is not None and table.info.get("page_cache") == "ignore")


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:
    # Cheap: one regex match or attribute look-up per statement; reads are left at once.
    if statement.lstrip()[:6].upper() == "SELECT":
        return
    table = _written_table(statement, context)
    if table and _shows(table):
        conn.info["qauym_page_writes"] = True


@event.listens_for(Session, "after_begin")
def _remember_connection(session, transaction, connection) -> None:
    # ``connection.info`` belongs to the pooled DBAPI connection; keep the dict itself, which
    # stays readable after the commit has returned the connection.
    session.info.setdefault("qauym_conn_infos", []).append(connection.info)


def _take_writes(session) -> bool:
    wrote = False
    for info in session.info.pop("qauym_conn_infos", ()):
        wrote = bool(info.pop("qauym_page_writes", False)) or wrote
    return wrote


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    # After the commit, never before: a page rendered between a bump and the commit would be
    # kept under the new generation with the old rows.
    if _take_writes(session) and has_app_context():
        bump_generation()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    _take_writes(session)


# The view decorator ----------------------------------------------------------------------------


def not_cacheable() -> None:
    """Keep the current answer out of the anonymous page cache (a view showing something that
    is not the same for every visitor, e.g. read from a cookie)."""
    g._qauym_not_cacheable = True


def _csrf_secret() -> str:
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return str(session.get(field) or "")


def _token_of_request() -> str | None:
    """The signed CSRF token this request put on its page, if it made one (Flask-WTF keeps it
    on ``g`` under the field name)."""
    return g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))


def _digest(neutral_body: bytes) -> str:
    return hashlib.blake2b(neutral_body, digest_size=16).hexdigest()


def _etag(page_digest: str) -> str:
    """The page digest joined with this session's CSRF secret: a copy made for another session
    (or before the secret changed) carries tokens that would fail here, so it must not be
    revalidated."""
    raw = f"{page_digest}|{_csrf_secret()}".encode()
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _finish(resp, page_digest: str):
    """Set the validator on a 200 answer; answer 304 when the browser's copy is the same."""
    etag = _etag(page_digest)
    resp.set_etag(etag, weak=True)
    # Keep it, but ask each time; never in a shared cache (pages may be personal).
    resp.cache_control.private = True
    resp.cache_control.no_cache = True
    if request.if_none_match and request.if_none_match.contains_weak(etag):
        resp.status_code = 304
        resp.set_data(b"")
        resp.headers.pop("Content-Length", None)
        resp.headers.pop("Content-Type", None)
    return resp


def _anonymous_visit() -> bool:
    if getattr(current_user, "is_authenticated", False):
        return False
    return set(session.keys()) <= ANONYMOUS_SESSION_KEYS


def _clock() -> float:
    """The time the page keys roll over by (tests hold it still: a key changes every
    ``PAGE_CACHE_SECONDS``, so two visits a moment apart may fall on both sides of a turn)."""
    return time.time()


def _page_key(generation: str) -> str:
    bucket = int(_clock() // current_app.extensions[EXT].seconds)
    raw = "|".join(
        [generation, str(bucket), request.scheme, request.host, request.full_path,
         str(get_locale())]
    )  # fmt: skip
    return "page:" + hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()


def _storable(resp) -> bool:
    return (
        resp.status_code == 200
        and resp.mimetype == "text/html"
        and not resp.is_streamed
        and "Set-Cookie" not in resp.headers
        and not resp.cache_control.no_store
        and not g.get("_qauym_not_cacheable")
        and _anonymous_visit()
    )


def cached_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a GET view of an HTML page (under the route decorator): weak ETag and 304
    answers for everyone, and the anonymous page cache. Only for pages whose content depends
    on nothing but the URL, the language, the viewer and the database (see the module
    docstring); a view may still call :func:`not_cacheable` for one answer."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        state: State | None = current_app.extensions.get(EXT)
        if state is None or request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        key = None
        if state.page_cache and _anonymous_visit():
            generation = state.current_generation()
            if generation is not None:
                key = _page_key(generation)
                hit = _cache_get(key)
                if hit is not None:
                    return _from_kept(hit)
        resp = make_response(view(*args, **kwargs))
        if resp.status_code != 200 or resp.mimetype != "text/html" or resp.is_streamed:
            return resp
        body = resp.get_data()
        token = _token_of_request()
        neutral = body.replace(token.encode(), PLACEHOLDER.encode()) if token else body
        page_digest = _digest(neutral)
        if key is not None and _storable(resp):
            _cache_set(key, {"body": neutral, "digest": page_digest}, state.seconds)
        return _finish(resp, page_digest)

    wrapper.qauym_cached_page = True  # type: ignore[attr-defined]
    return wrapper


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - Redis away: render the page
        log.warning("page cache: read failed", exc_info=True)
        return None


def _cache_set(key: str, value: Any, seconds: int) -> None:
    try:
        cache.set(key, value, timeout=seconds)
    except Exception:  # noqa: BLE001 - Redis away: the page was served anyway
        log.warning("page cache: write failed", exc_info=True)


def _from_kept(kept: dict):
    body: bytes = kept["body"]
    if PLACEHOLDER.encode() in body:
        # The visitor's own token (made now, with its session cookie, when it has none yet).
        body = body.replace(PLACEHOLDER.encode(), generate_csrf().encode())
    resp = make_response(body)
    resp.mimetype = "text/html"
    resp.headers["X-Qauym-Cache"] = "hit"
    return _finish(resp, kept["digest"])


# Set-up ----------------------------------------------------------------------------------------


class _Compress(Compress):
    """Flask-Compress, but a streamed answer is compressed only for a static file: downloads
    of uploads are streamed and may answer ``Range`` requests, which compression would break."""

    def after_request(self, response):
        if response.is_streamed:
            endpoint = request.endpoint or ""
            static = endpoint == "static" or endpoint.endswith(".static")
            if not static or response.status_code != 200:
                return response
        return super().after_request(response)


def init_app(app: Flask) -> None:
    state = State(app)
    app.extensions[EXT] = state
    if state.redis_url:
        cache_config = {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": state.redis_url,
            "CACHE_KEY_PREFIX": str(app.config.get("CACHE_KEY_PREFIX") or "qauym:"),
        }
    else:
        # One dictionary per worker process; 500 pages at most (the oldest go first).
        cache_config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 500}
    cache_config["CACHE_DEFAULT_TIMEOUT"] = state.seconds
    cache.init_app(app, config=cache_config)

    if app.config.get("GZIP"):
        # gzip only: every browser has it, and it is what nginx sends when it compresses, so
        # both set-ups behave alike. Our ETags are weak, so Flask-Compress leaves them as they
        # are (a strong one, e.g. a static file's, gets ":gzip" appended: one tag per
        # encoding). Conditional requests are answered by the views and send_file already.
        app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
        app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["gzip"])
        app.config.setdefault("COMPRESS_MIN_SIZE", 500)
        app.config.setdefault("COMPRESS_EVALUATE_CONDITIONAL_REQUEST", False)
        app.config.setdefault(
            "COMPRESS_MIMETYPES",
            [
                "text/html",
                "text/css",
                "text/javascript",
                "application/javascript",
                "application/json",
                "application/atom+xml",
                "text/calendar",
                "image/svg+xml",
            ],
        )
        _Compress().init_app(app)
