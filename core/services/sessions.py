"""Server-side sessions: every signed-in browser is a :class:`~core.models.UserSession` row.

Flask-Login keeps ``"<user id>:<token>"`` (see ``User.get_id``) in the signed session cookie
and, with "Remember me", in the remember-me cookie. The token is random; the database keeps
only its SHA-256. The user loader accepts a cookie only while its row is live (not revoked,
seen within the remember-me duration), so a session can be ended from the server:

* logging out revokes that browser's session;
* changing the password revokes every other session of the user;
* a password reset revokes all of them, then signs the browser in with a new one;
* a site administrator can end all sessions of a user (admin user page).

The user and the session are loaded in one query per request, with the user's memberships
and what every page asks about them (:func:`read_with_user`: the unread notifications, the
regions they administer, where plugins are switched off). ``last_seen_at`` is written at
most every :data:`SEEN_EVERY`, not on every request.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from flask import current_app, has_request_context, request
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, delete, or_, select, update

from core.extensions import db
from core.models import Membership, User, UserSession
from core.timeutil import utcnow

SEEN_EVERY = dt.timedelta(minutes=5)
# Ended sessions are kept this long (the user's list and support questions), then deleted.
KEEP_ENDED = dt.timedelta(days=30)
USER_AGENT_LENGTH = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def max_idle() -> dt.timedelta:
    """A session unseen for longer than the remember-me cookie lives is dead."""
    duration = current_app.config.get("REMEMBER_COOKIE_DURATION") or dt.timedelta(days=365)
    if isinstance(duration, int | float):
        duration = dt.timedelta(seconds=duration)
    return duration


def new_session(user: User, *, now: dt.datetime | None = None) -> tuple[UserSession, str]:
    """A new live session row for ``user`` (committed) and its random token."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    agent = request.user_agent.string if has_request_context() else ""
    row = UserSession(
        user_id=user.id,
        token_hash=token_hash(token),
        created_at=now,
        last_seen_at=now,
        user_agent=(agent or "")[:USER_AGENT_LENGTH],
    )
    db.session.add(row)
    db.session.commit()
    return row, token


def login(user: User, *, remember: bool = False, now: dt.datetime | None = None) -> UserSession:
    """Open a new session for ``user`` in this browser and sign it in (commits)."""
    row, token = new_session(user, now=now)
    user.current_session = row
    user.session_token = token
    login_user(user, remember=remember)
    return row


def logout(now: dt.datetime | None = None) -> None:
    """End this browser's session (the row is revoked, the cookies cleared)."""
    row = getattr(current_user, "current_session", None)
    if row is not None:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == row.id, UserSession.revoked_at.is_(None))
            .values(revoked_at=now or utcnow())
        )
        db.session.commit()
    logout_user()


def revoke_all(
    user: User, *, keep: UserSession | None = None, now: dt.datetime | None = None
) -> int:
    """Revoke every live session of ``user`` except ``keep``; the caller commits. Returns how
    many were ended."""
    stmt = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    result = db.session.execute(stmt.values(revoked_at=now or utcnow()))
    return result.rowcount or 0


def live_sessions(user: User, now: dt.datetime | None = None) -> list[UserSession]:
    """The user's sessions that still work, most recently seen first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
                UserSession.last_seen_at > now - max_idle(),
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def current(user: Any) -> UserSession | None:
    return getattr(user, "current_session", None)


#: Values read in :func:`load_user`'s statement beside the user: ``(column, keep)`` pairs,
#: ``column()`` a scalar subquery correlated to ``User``, ``keep(user, value)`` storing the
#: value for the request. Services register them (:func:`read_with_user`) so that this module
#: depends on none of them.
_WITH_USER: list[tuple[Callable[[], Any], Callable[[User, Any], None]]] = []


def read_with_user(column: Callable[[], Any], keep: Callable[[User, Any], None]) -> None:
    """Read ``column()`` with the signed-in user, in the statement that loads them, and give
    the value to ``keep``: what every page asks about its reader (the unread notifications,
    the regions they administer) costs no statement of its own."""
    _WITH_USER.append((column, keep))
    _load_statement.cache_clear()


@functools.cache
def _load_statement():
    """:func:`load_user`'s statement, built once per process with bound parameters (rebuilt
    when :func:`read_with_user` adds a column). Building a statement of this size and
    computing its cache key took longer than running it (about 0.7 ms of every page a member
    opens, measured in-process on SQLite), and a statement object keeps its cache key."""
    return (
        select(User, UserSession, Membership, *[column() for column, _keep in _WITH_USER])
        .join(UserSession, UserSession.user_id == User.id)
        # a row per membership: the permissions of the page need them (one statement less)
        .outerjoin(Membership, Membership.user_id == User.id)
        .where(
            User.id == bindparam("user_id"),
            User.active.is_(True),
            UserSession.token_hash == bindparam("token_hash"),
            UserSession.revoked_at.is_(None),
            UserSession.last_seen_at > bindparam("seen_after"),
        )
    )


def load_user(alternative_id: str, now: dt.datetime | None = None) -> User | None:
    """Flask-Login's user loader: the active user of a live session, in one query."""
    user_part, _sep, token = str(alternative_id).partition(":")
    # Anything else is not a cookie we wrote (and a huge id would overflow the database's int).
    if not (user_part.isascii() and user_part.isdigit() and len(user_part) <= 15):
        return None
    if len(token) > 100:
        return None
    if not token:  # a cookie signed before sessions were server-side: no longer valid
        return None
    now = now or utcnow()
    # Written only when nothing else is pending, so the bump never commits a view's work.
    clean = not (db.session.new or db.session.dirty or db.session.deleted)
    with db.session.no_autoflush:
        # With the user, what every page asks about them (:func:`read_with_user`).
        rows = db.session.execute(
            _load_statement(),
            {
                "user_id": int(user_part),
                "token_hash": token_hash(token),
                "seen_after": now - max_idle(),
            },
        ).all()
    if not rows:
        return None
    user, session_row, _membership, *extra = rows[0]
    user.current_session = session_row
    user.session_token = token
    user.loaded_memberships = [r[2] for r in rows if r[2] is not None]
    for (_column, keep), value in zip(_WITH_USER, extra, strict=True):
        keep(user, value)
    if clean and now - session_row.last_seen_at >= SEEN_EVERY:
        session_row.last_seen_at = now
        db.session.commit()
        # the commit expired the memberships: read again in one statement, not one each
        user.loaded_memberships = None
    return user


def prune(now: dt.datetime | None = None) -> int:
    """Delete sessions ended more than :data:`KEEP_ENDED` ago or idle past the remember-me
    duration (the ``core.prune_sessions`` job; idempotent). Returns how many went."""
    now = now or utcnow()
    result = db.session.execute(
        delete(UserSession).where(
            or_(
                UserSession.revoked_at < now - KEEP_ENDED,
                UserSession.last_seen_at < now - max_idle() - KEEP_ENDED,
            )
        )
    )
    return result.rowcount or 0
