"""Forum tables (prefix ``forum_``).

Posts carry a per-topic ``number`` that never changes (1 is the opening post); read tracking,
permalinks and "jump to first unread" rely on it, as in Discourse (``post_number``). A topic
keeps ``highest_number`` (the last number handed out, pending posts included) and
``visible_number`` (the last approved post's), so unread counts need no scan of posts and a
post waiting for approval never shows as unread to readers who cannot see it.

Edits on pre-moderated boards: when a member whose posts would be held for approval edits a
post that is already approved, the new text waits in ``pending_body`` (and ``pending_title``)
and goes to the approval queue; everyone else keeps reading the last approved version, the
author sees their version marked as waiting. Discourse instead hides the whole post until the
edit is approved; keeping the approved version is kinder to readers (a thread never loses a
reply someone quoted) and gives an author no way to publish unreviewed text by editing.
Approving moves the old text into ``ForumRevision`` like any edit; rejecting drops the new text
(the moderation log keeps it). Moderators' own edits apply at once.

Full-text search indexes ``search_text``, the normalised forms of a post's body and of a
topic's title (``core.api.normalise``: Kazakh and Russian stems), set whenever ``body`` or
``title`` is set (attribute events below), recomputed by ``qauym forum reindex`` when the
normaliser changes. On SQLite an FTS5 table ``forum_post_fts`` (rowid = post id; the topic's
title is indexed with its first post) is kept in sync by triggers created right after
``forum_post``; on PostgreSQL a stored tsvector column ``search_tsv`` generated from
``to_tsvector('simple', search_text)`` with a GIN index (``PG_SEARCH_DDL``; the 'simple'
configuration only splits words: the stemming is done by the normaliser).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    DDL,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.api import PAGE_CACHE_IGNORE, Association, User, db, markdown, normalise, one_of, utcnow


class BoardVisibility(enum.StrEnum):
    PUBLIC = "public"  # everyone, also without an account
    MEMBERS = "members"  # members of the association


class TopicKind(enum.StrEnum):
    DISCUSSION = "discussion"
    QUESTION = "question"  # may have an accepted answer, may be addressed to officials


class OfficialStatus(enum.StrEnum):
    """Where a question addressed to officials stands ("" for any other topic)."""

    NONE = ""
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class WatchLevel(enum.StrEnum):
    MUTED = "muted"
    NORMAL = "normal"
    WATCHING = "watching"


class Reaction(enum.StrEnum):
    THANKS = "thanks"
    AGREE = "agree"


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    OFFENSIVE = "offensive"
    FALSE_ACCUSATION = "false_accusation"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


class FlagStatus(enum.StrEnum):
    OPEN = "open"
    AGREED = "agreed"  # a moderator agreed: the post was hidden
    DISAGREED = "disagreed"


#: Thin alias kept for views/topics.py and topic.html (views are being edited elsewhere).
REACTIONS = tuple(Reaction)


class ForumBoard(db.Model):
    __tablename__ = "forum_board"
    __table_args__ = (one_of("visibility", BoardVisibility),)
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    visibility: Mapped[str] = mapped_column(String(10), default=BoardVisibility.MEMBERS)
    premoderate: Mapped[bool] = mapped_column(Boolean, default=False)
    # Posts of a member are held for approval until this many were approved (0: off).
    moderate_first_posts: Mapped[int] = mapped_column(Integer, default=0)
    allow_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    officials: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Denormalised counters (see ``services.counters``): visible topics, their visible posts
    # and the last of them, kept in the transaction of every write; ``qauym forum repair``
    # recomputes them. The ``last_*`` ids are a cache, without foreign keys: adding those
    # would rebuild the tables on SQLite (dropping the FTS triggers) for no gain, since every
    # write that could leave one stale recomputes it.
    topic_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_topic_id: Mapped[int | None] = mapped_column(Integer)
    last_post_id: Mapped[int | None] = mapped_column(Integer)
    last_post_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_poster_id: Mapped[int | None] = mapped_column(Integer)
    # An archived board is read-only for everyone (no topics, replies, edits, votes or
    # reactions), listed apart on the forum's index and still searchable; unarchiving
    # restores it as it was.
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    association: Mapped[Association] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_public(self) -> bool:
        return self.visibility == BoardVisibility.PUBLIC

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class ForumTopic(db.Model):
    __tablename__ = "forum_topic"
    __table_args__ = (
        Index("ix_forum_topic_board_last", "board_id", "pinned", "last_post_at"),
        one_of("kind", TopicKind),
        one_of("official_status", OfficialStatus),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("forum_board.id", ondelete="CASCADE"))
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[str] = mapped_column(String(12), default=TopicKind.DISCUSSION)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_post_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_poster_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    highest_number: Mapped[int] = mapped_column(Integer, default=0)
    visible_number: Mapped[int] = mapped_column(Integer, default=0)
    # Visible replies (approved, not hidden or deleted; the opening post not counted).
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    # Approved posts, placeholders of hidden and deleted ones included: the last
    # ``ForumPost.position`` handed out, so the number of pages needs no count of posts.
    approved_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_post_id: Mapped[int | None] = mapped_column(Integer)  # a cache, as the board's
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("forum_post.id", ondelete="SET NULL", use_alter=True)
    )
    addressed_to: Mapped[str] = mapped_column(String(200), default="")
    official_status: Mapped[str] = mapped_column(String(10), default=OfficialStatus.NONE)
    official_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("forum_post.id", ondelete="SET NULL", use_alter=True)
    )
    # Hidden by a moderator (Discourse's "unlist"): gone from lists, search, the digest and
    # the counters, readable by moderators only (with a banner); unhiding restores it.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Merged into another topic: every post moved there, this row deleted and its address
    # redirecting to the target. A plain id, as the counters' caches (no foreign key: adding
    # one would rebuild the table on SQLite and drop its FTS trigger).
    merged_into_id: Mapped[int | None] = mapped_column(Integer)
    # A question addressed to an account (``ForumOfficial``, kept by the association's
    # managers): that user is notified, may read and answer the topic, and their answer is
    # the official one. A plain id for the same reason as above; ``user_deleted`` clears it.
    addressee_id: Mapped[int | None] = mapped_column(Integer, index=True)

    # The topic's tags, space-separated (plugins/forum/tags.py): a copy of its
    # ``ForumTopicTag`` rows, read with the topic so lists and the topic page need no query.
    tags: Mapped[str] = mapped_column(String(160), default="", server_default="")

    board: Mapped[ForumBoard] = relationship(lazy="joined", innerjoin=True)
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])
    addressee: Mapped[User | None] = relationship(
        primaryjoin="foreign(ForumTopic.addressee_id) == User.id", viewonly=True
    )

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split() if self.tags else []


class ForumOfficial(db.Model):
    """An account questions may be addressed to in an association's forum (an official, or a
    body such as the district education department, registered on the site), with the title
    shown to askers. The association's managers keep the list."""

    __tablename__ = "forum_official"
    __table_args__ = (UniqueConstraint("association_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user: Mapped[User] = relationship()


class ForumTopicTag(db.Model):
    """A tag of a topic, for the association's list of topics with that tag."""

    __tablename__ = "forum_topic_tag"
    __table_args__ = (Index("ix_forum_topic_tag_association_tag", "association_id", "tag"),)
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("forum_topic.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(30), primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE")
    )


class ForumPost(db.Model):
    __tablename__ = "forum_post"
    __table_args__ = (UniqueConstraint("topic_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("forum_topic.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    # The body "cooked" (Markdown rendered and sanitised) when it is written, as Discourse
    # does: rendering on every view was 15% of a topic page. ``cooked_version`` is the
    # renderer's ``markdown.VERSION`` that cooked it; older rows are rendered on the fly
    # until ``qauym forum recook`` rewrites them.
    body_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    cooked_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # 1, 2, ... among the topic's approved posts in number order (None while pending).
    position: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    edited_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # An author's edit of an approved post on a pre-moderated board waits here; readers keep
    # seeing ``body`` (the last approved version) until a moderator approves it. The topic's
    # new title, when the opening post's edit changes it, waits in ``pending_title``.
    pending_body: Mapped[str | None] = mapped_column(Text)
    pending_html: Mapped[str | None] = mapped_column(Text)
    pending_title: Mapped[str | None] = mapped_column(String(200))
    pending_since: Mapped[dt.datetime | None] = mapped_column(DateTime)

    topic: Mapped[ForumTopic] = relationship(foreign_keys=[topic_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    attachments: Mapped[list[ForumAttachment]] = relationship(
        back_populates="post", order_by="ForumAttachment.id"
    )

    @property
    def visible(self) -> bool:
        """Shown to everyone who may read the board (not pending, hidden or deleted)."""
        return self.approved and not self.hidden and self.deleted_at is None

    @property
    def edit_pending(self) -> bool:
        """An edit by the author waits for a moderator (the approved version is shown)."""
        return self.pending_body is not None


class ForumRevision(db.Model):
    """An earlier version of a post, kept on each edit (moderators may read them)."""

    __tablename__ = "forum_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("forum_post.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(200), default="")
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    editor: Mapped[User | None] = relationship()


class ForumAttachment(db.Model):
    __tablename__ = "forum_attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("forum_post.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(300))
    original_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    mime: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    post: Mapped[ForumPost] = relationship(back_populates="attachments")

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


class ForumReadState(db.Model):
    """The highest post number a user has seen in a topic."""

    __tablename__ = "forum_read_state"
    # Written on every topic view of a logged-in member; no visitor's page shows it, so it
    # must not empty the anonymous page cache.
    __table_args__ = {"info": PAGE_CACHE_IGNORE}
    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("forum_topic.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_read_number: Mapped[int] = mapped_column(Integer, default=0)


class ForumWatch(db.Model):
    """A user's watch level for a board (topic_id NULL) or a topic (board_id NULL)."""

    __tablename__ = "forum_watch"
    __table_args__ = (
        UniqueConstraint("user_id", "board_id", name="uq_forum_watch_board"),
        UniqueConstraint("user_id", "topic_id", name="uq_forum_watch_topic"),
        one_of("level", WatchLevel),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("forum_board.id", ondelete="CASCADE"), index=True
    )
    topic_id: Mapped[int | None] = mapped_column(
        ForeignKey("forum_topic.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(10), default=WatchLevel.NORMAL)


class ForumReaction(db.Model):
    __tablename__ = "forum_reaction"
    __table_args__ = (one_of("kind", Reaction),)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("forum_post.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)


class ForumFlag(db.Model):
    __tablename__ = "forum_flag"
    __table_args__ = (one_of("reason", FlagReason), one_of("status", FlagStatus))
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("forum_post.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=FlagStatus.OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    post: Mapped[ForumPost] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ForumBan(db.Model):
    __tablename__ = "forum_ban"
    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("forum_board.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    until: Mapped[dt.datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ForumModLog(db.Model):
    __tablename__ = "forum_mod_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("core_association.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    board_id: Mapped[int | None] = mapped_column(ForeignKey("forum_board.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("forum_topic.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("forum_post.id", ondelete="SET NULL"))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[User | None] = relationship()


class ForumPoll(db.Model):
    __tablename__ = "forum_poll"
    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("forum_topic.id", ondelete="CASCADE"), unique=True
    )
    question: Mapped[str] = mapped_column(String(300))
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    options: Mapped[list[ForumPollOption]] = relationship(
        order_by="ForumPollOption.position", cascade="all, delete-orphan"
    )

    def closed(self, now: dt.datetime) -> bool:
        return self.closes_at is not None and now >= self.closes_at


class ForumPollOption(db.Model):
    __tablename__ = "forum_poll_option"
    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(
        ForeignKey("forum_poll.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(200))


class ForumPollVote(db.Model):
    __tablename__ = "forum_poll_vote"
    poll_id: Mapped[int] = mapped_column(
        ForeignKey("forum_poll.id", ondelete="CASCADE"), primary_key=True
    )
    option_id: Mapped[int] = mapped_column(
        ForeignKey("forum_poll_option.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True
    )


class ForumPrefs(db.Model):
    """Per-user forum settings: the daily digest is opt-in."""

    __tablename__ = "forum_prefs"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    last_digest_on: Mapped[dt.date | None] = mapped_column(db.Date)


#: The text-search configuration, written as a constant in SQL (not a bound parameter) so the
#: expressions in queries are the very ones of the GIN indexes.
TS_CONFIG = text("'simple'")

Index("ix_forum_post_topic_created", ForumPost.topic_id, ForumPost.number)
# Page N of a topic is the range of positions (N-1)*20 < position <= N*20: an index range
# whatever the page, where OFFSET read and dropped every earlier post (page 2,000 of a
# 40,000-post topic read 40,000 index entries). A unique index, not a constraint, so SQLite
# adds it without rebuilding the table.
Index("uq_forum_post_topic_position", ForumPost.topic_id, ForumPost.position, unique=True)

#: PostgreSQL: ``search_tsv``, the text-search vector of ``search_text`` stored in the row (a
#: generated column, so every write keeps it in step), and its GIN index. Before
#: forum_0070 the GIN indexes were over the expression ``to_tsvector('simple', search_text)``,
#: and any row the index did not answer exactly was checked by computing ``to_tsvector``
#: again, about 35 us a row: a common word's bitmap turns lossy (work_mem) and every row of
#: its pages was recomputed, and the candidates were ranked recomputing it once more (1.2 s a
#: search for a word in 3.7% of a million posts). Stored, a recheck or a ``ts_rank`` reads
#: the vector, and the column has statistics (most common words), so the planner can walk
#: the primary key newest first for a common word and stop after the first candidates, and
#: take the GIN bitmap for a rare one. Not a model column: SQLite (FTS5) has no tsvector,
#: so the column and its index are DDL run after the table is created (here and in
#: forum_0070), and autogenerate leaves them be (``core.migrations.is_search_vector``).
PG_SEARCH_DDL = {
    table: [
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_tsv tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
        f"CREATE INDEX IF NOT EXISTS ix_{table}_search_tsv ON {table} USING gin (search_tsv)",
    ]
    for table in ("forum_post", "forum_topic")
}

#: SQLite DDL for the FTS5 index over ``search_text``; the migrations run the same statements.
SQLITE_FTS_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS forum_post_fts USING fts5("
    "title, body, tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER IF NOT EXISTS forum_post_fts_ai AFTER INSERT ON forum_post BEGIN "
    "INSERT INTO forum_post_fts(rowid, title, body) VALUES (new.id, "
    "CASE WHEN new.number = 1 THEN "
    "(SELECT search_text FROM forum_topic WHERE id = new.topic_id) "
    "ELSE '' END, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS forum_post_fts_au AFTER UPDATE OF search_text ON forum_post "
    "BEGIN UPDATE forum_post_fts SET body = new.search_text WHERE rowid = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS forum_post_fts_ad AFTER DELETE ON forum_post BEGIN "
    "DELETE FROM forum_post_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS forum_topic_fts_au AFTER UPDATE OF search_text ON forum_topic "
    "BEGIN UPDATE forum_post_fts SET title = new.search_text WHERE rowid = "
    "(SELECT id FROM forum_post WHERE topic_id = new.id AND number = 1); END",
]

#: Refill the FTS5 table from ``search_text`` (after a backfill or ``qauym forum reindex``).
SQLITE_FTS_REBUILD = [
    "DELETE FROM forum_post_fts",
    "INSERT INTO forum_post_fts(rowid, title, body) SELECT p.id, "
    "CASE WHEN p.number = 1 THEN t.search_text ELSE '' END, p.search_text "
    "FROM forum_post p JOIN forum_topic t ON t.id = p.topic_id",
]


@event.listens_for(ForumPost.body, "set")
def _post_body_set(target, value, oldvalue, initiator):
    target.search_text = normalise(value or "")
    target.body_html = str(markdown.render(value or ""))
    target.cooked_version = markdown.VERSION


@event.listens_for(ForumPost.pending_body, "set")
def _post_pending_body_set(target, value, oldvalue, initiator):
    target.pending_html = None if value is None else str(markdown.render(value))


@event.listens_for(ForumTopic.title, "set")
def _topic_title_set(target, value, oldvalue, initiator):
    target.search_text = normalise(value or "")


for _stmt in SQLITE_FTS_DDL:
    event.listen(ForumPost.__table__, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _model in (ForumPost, ForumTopic):
    for _stmt in PG_SEARCH_DDL[_model.__tablename__]:
        event.listen(_model.__table__, "after_create", DDL(_stmt).execute_if(dialect="postgresql"))
event.listen(
    ForumPost.__table__,
    "before_drop",
    DDL("DROP TABLE IF EXISTS forum_post_fts").execute_if(dialect="sqlite"),
)
