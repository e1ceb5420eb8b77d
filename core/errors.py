"""When the database is not there: a translated 503 page, never a traceback.

Two cases, told apart by the error the database driver gives:

* the database went away (connection refused or lost: ``OperationalError``,
  ``InterfaceError``, or any ``DBAPIError`` that invalidated its connection): "the service is
  temporarily unavailable";
* the database answers but has no tables (a deployment that never ran ``qauym db upgrade``):
  "the database is not set up yet".

The session is rolled back first, so nothing half-written stays. The page is rendered without
touching the database: no current-user lookup, no context processors, the language taken from
the user already loaded (if any), the ``lang`` cookie or the browser.

Any other database error is a bug and stays a 500.
"""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, current_app, g, request
from flask_babel import force_locale
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect

from core.extensions import db

log = logging.getLogger("qauym")

#: A table every upgraded database has (the core's first migration creates it).
CORE_TABLE = "core_region"


def is_missing_table(error: BaseException) -> bool:
    """Whether ``error`` says a table does not exist (SQLite or PostgreSQL)."""
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) == "42P01":  # psycopg: undefined_table
        return True
    text = str(orig or error).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def is_connection_error(error: BaseException) -> bool:
    """Whether ``error`` is the database being unreachable rather than a bad statement."""
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return True
    return bool(getattr(error, "connection_invalidated", False))


def schema_missing(engine) -> bool:
    """Whether the database behind ``engine`` has none of the core's tables."""
    try:
        return not inspect(engine).has_table(CORE_TABLE)
    except sa_exc.DBAPIError:
        return False


def _locale_without_database() -> str:
    langs = current_app.config["LANGUAGES"]
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        # Read what is already loaded: an expired attribute would query the database.
        with contextlib.suppress(Exception):
            loaded = inspect(user).dict.get("locale")
            if loaded in langs:
                return loaded
    cookie = request.cookies.get("lang")
    if cookie in langs:
        return cookie
    if request.headers.get("Accept-Language"):
        best = request.accept_languages.best_match(langs)
        if best:
            return best
    return current_app.config["DEFAULT_LOCALE"]


def unavailable_response(kind: str, lang: str | None = None):
    """The 503 page: ``kind`` is ``"down"`` (database unreachable) or ``"no_tables"``."""
    lang = lang or _locale_without_database()
    with force_locale(lang):
        template = current_app.jinja_env.get_template("errors_unavailable.html")
        body = template.render(kind=kind, lang=lang, config=current_app.config)
    return body, 503, {"Retry-After": "60", "Content-Type": "text/html; charset=utf-8"}


def _rollback() -> None:
    with contextlib.suppress(Exception):
        db.session.rollback()


def handle_database_error(error: sa_exc.DBAPIError):
    lang = _locale_without_database()  # before the rollback expires the user
    _rollback()
    if is_missing_table(error):
        log.error("database has no tables: run `qauym db upgrade` (%s)", error.orig)
        kind = "no_tables"
    elif is_connection_error(error):
        log.error("database unavailable: %s", error.orig)
        kind = "down"
    else:
        raise error
    return unavailable_response(kind, lang)


def init_app(app: Flask) -> None:
    app.register_error_handler(sa_exc.DBAPIError, handle_database_error)
