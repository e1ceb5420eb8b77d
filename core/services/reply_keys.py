"""Reply addresses: ``<REPLY_PREFIX>+<key>@<REPLY_DOMAIN>`` in the ``Reply-To`` of an email.

The key is random (``secrets.token_urlsafe``, 128 bits), stored in ``core_reply_key`` with the
user it was given to, the plugin that issued it and the plugin's ``target`` (``"topic:12"``),
and expires after ``REPLY_KEY_DAYS``. The store is the core's, not a plugin's: any plugin's
email may carry a reply address, and the inbound-mail service (``core.services.inbound_mail``)
must find the plugin to hand a message to from the key alone, without knowing plugins by name.
One key serves every email about the same target to the same user while it has more than half
of its life left, so a busy topic does not add a row per email.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from flask import current_app
from sqlalchemy import delete, select

from core.extensions import db
from core.models import ReplyKey, User
from core.timeutil import utcnow


def enabled() -> bool:
    """Reply by email is on when ``REPLY_DOMAIN`` is set."""
    return bool(current_app.config.get("REPLY_DOMAIN", "").strip())


def address(key: str) -> str:
    cfg = current_app.config
    return f"{cfg['REPLY_PREFIX']}+{key}@{cfg['REPLY_DOMAIN'].strip()}"


def address_pattern() -> re.Pattern[str]:
    """Matches a reply address of this site (case ignored), the key in group 1."""
    cfg = current_app.config
    return re.compile(
        rf"^{re.escape(cfg['REPLY_PREFIX'])}\+([A-Za-z0-9_-]{{16,40}})@"
        rf"{re.escape(cfg['REPLY_DOMAIN'].strip())}$",
        re.I,
    )


def issue(user: User, plugin: str, target: str, now: dt.datetime | None = None) -> str:
    """The reply address for ``user`` and ``plugin``'s ``target``; ``""`` when reply by email
    is off. Adds a row to the session when no fresh key exists; the caller commits."""
    return issue_many([user], plugin, target, now).get(user.id, "")


def issue_many(
    users: list[User], plugin: str, target: str, now: dt.datetime | None = None
) -> dict[int, str]:
    """:func:`issue` for several users in one query: the address per user id (empty when reply
    by email is off)."""
    if not enabled() or not users:
        return {}
    now = now or utcnow()
    target = target[:100]
    life = dt.timedelta(days=int(current_app.config["REPLY_KEY_DAYS"]))
    fresh: dict[int, str] = {}
    for user_id, key in db.session.execute(
        select(ReplyKey.user_id, ReplyKey.key)
        .where(
            ReplyKey.user_id.in_([u.id for u in users]),
            ReplyKey.plugin == plugin,
            ReplyKey.target == target,
            ReplyKey.expires_at > now + life / 2,
        )
        .order_by(ReplyKey.expires_at)
    ):
        fresh[user_id] = key  # the latest wins
    for user in users:
        if user.id not in fresh:
            fresh[user.id] = secrets.token_urlsafe(16)
            db.session.add(
                ReplyKey(
                    key=fresh[user.id],
                    user_id=user.id,
                    plugin=plugin,
                    target=target,
                    created_at=now,
                    expires_at=now + life,
                )
            )
    return {uid: address(key) for uid, key in fresh.items()}


def find(key: str) -> ReplyKey | None:
    """The stored key (expired or not: the caller tells the two apart)."""
    return db.session.scalar(select(ReplyKey).where(ReplyKey.key == key))


def purge(now: dt.datetime | None = None, grace_days: int = 30) -> int:
    """Delete keys expired more than ``grace_days`` ago (until then a reply to one is told it
    expired rather than that it is unknown). The caller commits."""
    cutoff = (now or utcnow()) - dt.timedelta(days=grace_days)
    return db.session.execute(delete(ReplyKey).where(ReplyKey.expires_at < cutoff)).rowcount or 0
