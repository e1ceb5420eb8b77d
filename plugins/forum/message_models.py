"""Private messages between members (tables ``forum_conversation``, ``forum_message``...).

Shaped after Discourse's personal messages: a conversation has a subject, a small set of
participants (one-to-one or a group, at most ``FORUM_MESSAGE_MAX_RECIPIENTS`` besides the
writer; Discourse's ``max_allowed_message_recipients``) and a list of messages. Each
participant keeps the id of the last message they have read, so the inbox counts unread
messages with one grouped query. Unlike Discourse, where staff can read every personal
message, nobody outside the conversation ever sees it: a participant may *report* one message,
and only that message reaches the moderators of an association the reporter and its author
share (and site administrators). A member may *block* another (Discourse's "ignore"): the
blocked person can no longer start a conversation with them or write in one they share.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.api import User, db, one_of, utcnow
from plugins.forum.models import FlagReason, ForumPost


class ForumConversation(db.Model):
    __tablename__ = "forum_conversation"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_message_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    participants: Mapped[list[ForumConversationMember]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan"
    )


class ForumConversationMember(db.Model):
    __tablename__ = "forum_conversation_member"
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("forum_conversation.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_read_id: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    conversation: Mapped[ForumConversation] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class ForumMessage(db.Model):
    __tablename__ = "forum_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("forum_conversation.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
    conversation: Mapped[ForumConversation] = relationship()


class ForumMessageReport(db.Model):
    """A participant's report of one message; moderators see the message, not the rest."""

    __tablename__ = "forum_message_report"
    __table_args__ = (
        UniqueConstraint("message_id", "reporter_id"),
        one_of("reason", FlagReason),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("forum_message.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )

    message: Mapped[ForumMessage] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])


class ForumBlock(db.Model):
    """``user`` does not accept messages from ``blocked``."""

    __tablename__ = "forum_block"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    blocked: Mapped[User] = relationship(foreign_keys=[blocked_id])


class ForumDraft(db.Model):
    """A topic or reply being written, kept on the server (Discourse's drafts): ``key`` is
    ``board:<id>`` for a new topic on a board, ``topic:<id>`` for a reply in a topic."""

    __tablename__ = "forum_draft"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ForumBookmark(db.Model):
    """A post a member keeps, with an optional note and a reminder (sent once by a job)."""

    __tablename__ = "forum_bookmark"
    __table_args__ = (UniqueConstraint("user_id", "post_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("forum_post.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(String(300), default="")
    remind_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    post: Mapped[ForumPost] = relationship()
