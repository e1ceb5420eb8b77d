"""PostgreSQL: a request that only read ends its transaction with ``COMMIT``, not ``ROLLBACK``.

psycopg prepares a statement on the server once a connection has run it five times, and then
the server plans it once instead of on every page: the statement loading the signed-in user
took 0.29 ms planned each time and 0.07 ms prepared. But psycopg forgets every prepared
statement of a connection on ``ROLLBACK`` (a rolled-back transaction may have dropped what
they refer to), and Flask-SQLAlchemy ends every request by closing the session, which rolls
back. No statement ever stayed prepared from one page to the next.

For a transaction that ran nothing but reads, ``COMMIT`` and ``ROLLBACK`` leave the database
the same. So at the end of a request, when

- the request did not fail,
- the session holds no pending change (nothing new, changed or deleted waits for a flush), and
- the connection ran no statement but reads in this transaction (no ``INSERT``, ``UPDATE``,
  ``DELETE`` or DDL: every statement is a ``SELECT``, or a ``WITH`` holding none of those),

the session commits; in every other case it rolls back as before. SQLite prepares nothing
across transactions either way and is left alone.

The same holds at the end of any application context (a command, a job run), not only a
request's. The site and forum searches, whose best plan depends on the words searched, ask
PostgreSQL for a plan of their own each time (``core.services.search.plan_for_values``: a
transaction-local ``plan_cache_mode``).
"""

from __future__ import annotations

import logging
import re

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from core.extensions import db

log = logging.getLogger(__name__)

_WROTE = "qauym_wrote"
_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_WITH = re.compile(r"\s*WITH\b", re.IGNORECASE)
_WRITE_IN_WITH = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def _reads_only(statement: str) -> bool:
    if _READ.match(statement):
        return True
    return bool(_WITH.match(statement)) and not _WRITE_IN_WITH.search(statement)


def install(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.info.pop(_WROTE, None)

    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn, cursor, statement, parameters, context, executemany):
        if not _reads_only(statement):
            conn.info[_WROTE] = True


def end_request(exc: BaseException | None) -> None:
    """Commit the request's transaction when that changes nothing (see the module)."""
    if exc is not None:
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    conn = session.connection()  # the transaction's own (one database)
    if conn.dialect.name != "postgresql" or conn.info.get(_WROTE):
        return
    # Nothing to expire: closing the session next leaves its objects loaded, as a rollback
    # at close always did (code holding one after the request still reads it).
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    except Exception:  # noqa: BLE001 - the page is sent; closing the session rolls back
        log.warning("ending a read-only transaction with COMMIT failed", exc_info=True)
    finally:
        session.expire_on_commit = expire


def init_app(app: Flask) -> None:
    """Call after ``db.init_app``: teardown functions run last registered first, so this runs
    before Flask-SQLAlchemy closes the session."""
    with app.app_context():
        for engine in db.engines.values():
            install(engine)
    app.teardown_appcontext(end_request)
