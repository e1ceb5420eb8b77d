"""Write locks that hold on SQLite and PostgreSQL alike, for check-then-write sections
(capacity checks: seats at an event, mentees per mentor).

PostgreSQL: lock the rows you are about to check with ``SELECT ... FOR UPDATE``
(``select(...).with_for_update()``). SQLite has no row locks, and Python's sqlite3 driver begins
a transaction only before the first write, so two readers could both see a free place and then
both write. :func:`begin_write` makes the transaction take the database's write lock before
anything is read, with ``BEGIN IMMEDIATE`` (SQLAlchemy's documented pysqlite advice is to emit
BEGIN yourself; the engine belongs to the core, so this is done per transaction). SQLite
compiles ``FOR UPDATE`` away, so the same statement works on both.

:func:`run_locked` wraps a unit of work: begin the write transaction, run, commit; a lock
timeout ("database is locked") or a PostgreSQL deadlock rolls back and runs it again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from core.extensions import db

T = TypeVar("T")

RETRIES = 30


def begin_write() -> None:
    """Make the session's current transaction hold the write lock (SQLite); no-op elsewhere.

    Pending changes are flushed first. When the connection is already inside a transaction it
    has written before, which means it already holds SQLite's write lock.
    """
    db.session.flush()
    conn = db.session.connection()
    if conn.dialect.name == "sqlite" and not conn.connection.driver_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text or "deadlock detected" in text


def run_locked(work: Callable[[], T], retries: int = RETRIES) -> T:
    """Run ``work()`` in one write transaction and commit it, retrying on lock timeouts.

    ``work`` must only touch the database (it may run more than once) and should lock the rows
    it checks with ``with_for_update()`` for PostgreSQL.
    """
    for attempt in range(retries):
        try:
            begin_write()
            result = work()
            db.session.commit()
            return result
        except OperationalError as exc:
            db.session.rollback()
            if not is_lock_error(exc) or attempt == retries - 1:
                raise
            time.sleep(0.02 * (attempt + 1) + random.random() * 0.05)
        except BaseException:
            db.session.rollback()  # never keep the write lock past a failed attempt
            raise
    raise AssertionError("unreachable")
