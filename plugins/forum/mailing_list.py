"""Mailing-list mode for a board (as Discourse's "mailing list mode", per board here): a member
who subscribes gets every new post of the board by email, with a reply address (replying posts
in the topic, see :mod:`plugins.forum.email_replies`) and a one-click unsubscribe link.

Quiet hours apply. The member asked for this mail, but not for it at night: quiet hours are
the site's promise about when email arrives, and a discussion loses nothing by arriving at
07:00 (emails keep their order; the thread is on the site meanwhile). A password-reset link,
the one mail that ignores them, is needed at once; a post is not.

Each email has the post as the site shows it, not its Markdown source: an HTML part made from
the post's stored (sanitised) HTML and a text part read from that HTML, links as "text (url)"
(:mod:`plugins.forum.mail_html`).

Subscribers who would also get a ``forum.reply`` / ``forum.new_topic`` / ``forum.mention``
email for the same post get only the mailing-list one (the in-app notification stays).

Unsubscribe links carry a signed token (itsdangerous, the app's secret key, salt
:data:`SALT`) naming the user and the board; it does not expire, so an old email still lets one
leave. Opening it shows a confirm page whose button POSTs; a mail client's RFC 8058 one-click
POST (``List-Unsubscribe-Post``) to the same URL works too, the token standing for the CSRF
token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask import current_app, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape
from sqlalchemy import DateTime, ForeignKey, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from core.api import User, db, notifications, permissions, plugin_gate, utcnow
from plugins.forum import mail_html
from plugins.forum import services as svc
from plugins.forum.models import ForumBoard, ForumPost

SALT = "forum.mailing-list"
KIND = "forum.mailing_list"


class ForumMailingList(db.Model):
    """A member's subscription to every post of a board by email."""

    __tablename__ = "forum_mailing_list"
    __table_args__ = (UniqueConstraint("user_id", "board_id", name="uq_forum_mailing_list"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    board_id: Mapped[int] = mapped_column(
        ForeignKey("forum_board.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def may_subscribe(user: Any, board: ForumBoard) -> bool:
    """Members of the board's association (who can read it) may subscribe."""
    return bool(
        getattr(user, "is_authenticated", False)
        and permissions.is_member(user, board.association_id)
    )


def is_subscribed(user: Any, board: ForumBoard) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(ForumMailingList.id).where(
                ForumMailingList.user_id == user.id, ForumMailingList.board_id == board.id
            )
        )
        is not None
    )


def subscribe(user: User, board: ForumBoard) -> None:
    if not is_subscribed(user, board):
        db.session.add(ForumMailingList(user_id=user.id, board_id=board.id))


def unsubscribe(user_id: int, board_id: int) -> bool:
    """Drop the subscription; True when there was one. The caller commits."""
    gone = db.session.execute(
        delete(ForumMailingList).where(
            ForumMailingList.user_id == user_id, ForumMailingList.board_id == board_id
        )
    )
    return bool(gone.rowcount)


def boards_of(user: User) -> list[ForumBoard]:
    """Boards the user gets by email."""
    return list(
        db.session.scalars(
            select(ForumBoard)
            .join(ForumMailingList, ForumMailingList.board_id == ForumBoard.id)
            .where(ForumMailingList.user_id == user.id)
            .order_by(ForumBoard.name)
        )
    )


def subscriber_ids(board: ForumBoard) -> set[int]:
    return set(
        db.session.scalars(
            select(ForumMailingList.user_id).where(ForumMailingList.board_id == board.id)
        )
    )


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token(user_id: int, board_id: int) -> str:
    return _serializer().dumps([user_id, board_id])


def read_token(value: str) -> tuple[int, int] | None:
    """(user id, board id) of a genuine token, else None."""
    try:
        data = _serializer().loads(value)
    except BadSignature:
        return None
    if (
        not isinstance(data, list)
        or len(data) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in data)
    ):
        return None
    return data[0], data[1]


def _body(post: ForumPost, who: Any, text: str, link: str, unsubscribe_link: str):
    """The email's text, built in the recipient's language (called inside it): the post's
    HTML read as text (:func:`plugins.forum.mail_html.plain_text`), not its Markdown."""

    def render() -> str:
        return "\n".join(
            [
                _("%(who)s wrote:", who=str(who)),
                "",
                text,
                "",
                "-- ",
                _("Open the topic: %(link)s", link=link),
                _("Reply to this email to answer in the topic."),
                _("Stop these emails from the board: %(link)s", link=unsubscribe_link),
            ]
        )

    return render


_LINK = "\x00link\x00"


def _with_link(message: str, url: str) -> Markup:
    """A translated sentence with ``%(link)s`` (already filled with :data:`_LINK`), escaped,
    the marker replaced by a link to ``url``."""
    anchor = Markup('<a href="{0}">{0}</a>').format(url)
    return Markup(str(escape(message)).replace(_LINK, str(anchor)))  # noqa: S704 - escaped


def _html(post_html: Markup, who: Any, subject: str, link: str, unsubscribe_link: str):
    """The email's HTML part, in the recipient's language: the post's stored HTML (links
    absolute, images as links: :func:`plugins.forum.mail_html.email_html`) in a minimal
    document with no styles, scripts or remote resources."""

    def render() -> str:
        lang = str(get_locale() or "kk")
        return Markup(
            '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            "<title>{subject}</title></head>\n<body>\n<p>{wrote}</p>\n{post}\n<hr>\n"
            "<p>{open}<br>\n{reply}<br>\n{stop}</p>\n</body></html>\n"
        ).format(
            lang=lang,
            subject=subject,
            wrote=_("%(who)s wrote:", who=str(who)),
            post=post_html,
            open=_with_link(_("Open the topic: %(link)s", link=_LINK), link),
            reply=_("Reply to this email to answer in the topic."),
            stop=_with_link(
                _("Stop these emails from the board: %(link)s", link=_LINK), unsubscribe_link
            ),
        )

    return render


def send(post: ForumPost, who: Any, recipients: Iterable[User], now: dt.datetime) -> int:
    """Email ``post`` to each of ``recipients`` (subscribers who may read the board); return
    how many emails were queued. Adds rows to the session; the caller commits."""
    topic = post.topic
    board = topic.board
    base = current_app.config["BASE_URL"].rstrip("/")
    link = base + url_for("forum.permalink", post_id=post.id)
    prefix = "" if post.number == 1 else "Re: "
    subject = f"{prefix}[{board.name}] {topic.title}"
    host = base.split("//", 1)[-1].split("/", 1)[0] or "qauym.local"
    cooked = svc.cooked(post)
    text = mail_html.plain_text(cooked, base)
    post_html = mail_html.email_html(cooked, base)
    count = 0
    for user in recipients:
        unsub = base + url_for("forum.mailing_unsubscribe", token=token(user.id, board.id))
        notifications.send_email(
            user,
            subject,
            _body(post, who, text, link, unsub),
            html=_html(post_html, who, subject, link, unsub),
            kind=KIND,
            now=now,
            quiet=True,
            reply_to=f"topic:{topic.id}",
            headers={
                "List-Id": f"<board-{board.id}.forum.{host}>",
                "List-Unsubscribe": f"<{unsub}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Precedence": "list",
            },
        )
        count += 1
    return count


def offered_boards(user: User, limit: int = 30) -> list[ForumBoard]:
    """Boards of the user's associations (forum on there) not yet received by email."""
    ids = set(permissions.memberships_of(user)) - plugin_gate.disabled_association_ids("forum")
    if not ids:
        return []
    taken = select(ForumMailingList.board_id).where(ForumMailingList.user_id == user.id)
    return list(
        db.session.scalars(
            select(ForumBoard)
            .where(ForumBoard.association_id.in_(ids), ForumBoard.id.not_in(taken))
            .order_by(ForumBoard.association_id, ForumBoard.position, ForumBoard.id)
            .limit(limit)
        )
    )
