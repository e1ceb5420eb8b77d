"""Suggestions for ``@mentions``: the members of a board's association whose handle or name
starts with what is typed, as JSON for ``static/mentions.js``.

Only someone who may write in the board gets answers (a member, or a moderator); the list
holds handles and names (shown on every profile anyway), at most :data:`LIMIT` of them.
Typing Cyrillic also finds handles (``@айг`` finds ``aigul_serikova``).

The script asks once per pause in typing, so a person makes a few requests a minute; each one
runs a ``LIKE`` over the association's members. ``FORUM_MENTION_RATE_LIMIT`` (default 60 per
minute, per user, through the core's limiter) stops a script from walking the member list or
loading the database; past it the answer is a JSON ``429`` (the script then shows nothing).
Limits are off where the app's rate limiting is (``RATELIMIT_ENABLED``).
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from core.api import Membership, User, can, db, handles, limiter, name_contains
from plugins.forum.views.common import _board_or_404, bp

LIMIT = 8
CANDIDATES = 60  # names containing the text somewhere; word starts are kept in Python
RATE_LIMIT = "60 per minute"


def _rate_limit() -> str:
    return current_app.config.get("FORUM_MENTION_RATE_LIMIT") or RATE_LIMIT


def _per_user() -> str:
    return f"forum.mentions:{current_user.id}"


def _too_many(_limit):
    resp = jsonify(error=_("Too many requests. Please wait a minute."))
    resp.status_code = 429
    resp.headers["Retry-After"] = "60"
    return resp


def suggestions(association_id: int, typed: str) -> list[dict]:
    q = handles.clean(typed)[:30]
    if not q:
        return []
    folded = q.casefold()
    latin = handles.transliterate(q)
    latin_like = latin.replace("\\", "").replace("%", "").replace("_", "\\_")
    rows = db.session.execute(
        select(User.handle, User.full_name)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.association_id == association_id,
            User.active.is_(True),
            or_(User.handle.like(f"{latin_like}%", escape="\\"), name_contains(q)),
        )
        .order_by(User.handle)
        .limit(CANDIDATES)
    ).all()

    def rank(row) -> int | None:
        handle, name = row
        if handle.startswith(latin):
            return 0
        if any(word.casefold().startswith(folded) for word in name.split()):
            return 1
        return None

    ranked = sorted(
        ((r, row) for row in rows if (r := rank(row)) is not None), key=lambda x: (x[0], x[1][0])
    )
    return [{"handle": h, "name": n} for _r, (h, n) in ranked[:LIMIT]]


@bp.get("/b/<id:board_id>/mentions")
@login_required
@limiter.limit(
    _rate_limit,
    key_func=_per_user,
    exempt_when=lambda: not current_user.is_authenticated,  # they are sent to log in
    on_breach=_too_many,
)
def mention_suggestions(board_id: int):
    board = _board_or_404(board_id)
    if not can(current_user, "forum.post", board):
        abort(403)
    resp = jsonify(suggestions(board.association_id, request.args.get("q", "")))
    resp.headers["Cache-Control"] = "private, max-age=60"
    return resp
