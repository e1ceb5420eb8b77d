"""Pooled PostgreSQL connections tested at checkout without a round trip while they are busy.

SQLAlchemy's ``pool_pre_ping`` sends a ``SELECT 1`` every time a request takes a connection
from the pool. That answered the need (a database restarted under a running server must not
fail the next request of each worker), but on a loaded server it was one round trip of about
ten on every page: PostgreSQL's process has to be woken and scheduled for it, 0.1-0.3 ms on
the bench's 2 cores, where the statement itself takes 0.03 ms.

Instead, at checkout:

- a connection the server has closed (a restart, ``pg_terminate_backend``, an idle timeout)
  has its socket readable: the server's goodbye and the end of the stream are waiting. A
  ``poll`` with no timeout sees that without asking the server anything, and
  ``consume_input`` tells a closed connection from a notice or a notification;
- a connection that has sat in the pool longer than :data:`IDLE_PING` seconds is pinged as
  before, since a network that dropped it (a firewall forgetting an idle flow) sends nothing.

A connection found dead is given up and the pool opens another (SQLAlchemy's documented
``DisconnectionError`` at checkout). SQLite needs none of this.
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

#: Seconds a pooled connection may sit unused before its checkout pings the server.
IDLE_PING = 10.0

_SINCE = "qauym_idle_since"


def closed_by_server(dbapi_connection: Any) -> bool:
    """Whether the server has closed this psycopg connection, read from its socket alone."""
    from psycopg import pq  # only PostgreSQL engines call this; SQLite needs no psycopg

    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    pgconn = dbapi_connection.pgconn
    try:
        poller = select.poll()  # not select.select: no limit on the descriptor's number
        poller.register(pgconn.socket, select.POLLIN)
        # Read what is waiting until nothing is: a notice or a notification leaves the
        # socket quiet once read; a closed stream stays readable, and reading its end makes
        # consume_input raise. (The server's FATAL message and the end of the stream can
        # arrive together, and then the first read only takes the message.)
        for _ in range(8):
            if not poller.poll(0):
                break
            pgconn.consume_input()
    except Exception:  # noqa: BLE001 - a socket or stream in any error state is not usable
        return True
    return pgconn.status != pq.ConnStatus.OK


def install(engine: Engine) -> None:
    """Check ``engine``'s pooled connections as described above (PostgreSQL engines only)."""
    if engine.dialect.name != "postgresql":
        return
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _fresh(dbapi_connection, record):
        record.info[_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _back(dbapi_connection, record):
        record.info[_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _out(dbapi_connection, record, proxy):
        if closed_by_server(dbapi_connection):
            raise exc.DisconnectionError("the server closed this connection")
        if time.monotonic() - record.info.get(_SINCE, 0.0) > IDLE_PING:
            try:
                dialect.do_ping(dbapi_connection)
            except Exception as e:  # noqa: BLE001 - any failed ping means another connection
                raise exc.DisconnectionError("ping failed") from e
