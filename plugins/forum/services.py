"""Forum rules in one place: who may read and write, what a user sees, writing posts and the
notifications that follow, read tracking, moderation log and search.

Views call these; nothing here reads the request except through ``current_user`` passed in.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from flask import g, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import (
    and_,
    bindparam,
    case,
    column,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    union,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import joinedload, load_only
from sqlalchemy.sql import table as sql_table
from sqlalchemy.sql.elements import BindParameter

from core.api import (
    Association,
    Membership,
    User,
    db,
    mark_spans,
    markdown,
    matching_spans,
    normalise,
    notifications,
    permissions,
    plugin_gate,
    query_forms,
    utcnow,
)
from plugins.forum import counters
from plugins.forum.models import (
    SQLITE_FTS_REBUILD,
    TS_CONFIG,
    BoardVisibility,
    ForumBan,
    ForumBoard,
    ForumModLog,
    ForumOfficial,
    ForumPost,
    ForumReadState,
    ForumRevision,
    ForumTopic,
    ForumWatch,
    TopicKind,
    WatchLevel,
)

PLUGIN = "forum"
POSTS_PER_PAGE = 20
TOPICS_PER_PAGE = 30
#: Topics never opened count as unread ("new") when they had activity this recently.
NEW_WINDOW = dt.timedelta(days=14)


def _auth(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


# --- permissions ----------------------------------------------------------------------


def moderates_board(user: Any, board: ForumBoard) -> bool:
    return _auth(user) and permissions.moderates(user, board.association)


def can_read_board(user: Any, board: ForumBoard) -> bool:
    if board.is_public:
        return True
    return _auth(user) and (
        permissions.is_member(user, board.association_id)
        or permissions.administers(user, board.association)
    )


def active_ban(user: Any, board: ForumBoard) -> ForumBan | None:
    if not _auth(user):
        return None
    return db.session.scalar(
        select(ForumBan)
        .where(
            ForumBan.board_id == board.id, ForumBan.user_id == user.id, ForumBan.until > utcnow()
        )
        .order_by(ForumBan.until.desc())
        .limit(1)
    )


def can_post_board(user: Any, board: ForumBoard, banned: bool | None = None) -> bool:
    """Members of the association (and its moderators) write, unless banned from the board;
    nobody writes on an archived board. ``banned``: already known (a page read it with the
    reader's other state), else looked up."""
    if not _auth(user) or board.archived:
        return False
    if not (permissions.is_member(user, board.association_id) or moderates_board(user, board)):
        return False
    if banned is None:
        banned = active_ban(user, board) is not None
    return not banned


def is_addressee(user: Any, topic: ForumTopic) -> bool:
    """``user`` is the account the question is addressed to (reads and answers it, member of
    the association or not)."""
    return _auth(user) and topic.addressee_id is not None and topic.addressee_id == user.id


def can_reply(user: Any, topic: ForumTopic) -> bool:
    if topic.board.archived:
        return False
    if topic.locked and not moderates_board(user, topic.board):
        return False
    if is_addressee(user, topic):
        return active_ban(user, topic.board) is None
    return can_post_board(user, topic.board)


def can_edit_post(user: Any, post: ForumPost) -> bool:
    if not _auth(user) or post.topic.board.archived:
        return False
    if moderates_board(user, post.topic.board):
        return True
    return (
        post.author_id == user.id
        and post.deleted_at is None
        and not post.topic.locked
        and active_ban(user, post.topic.board) is None
    )


def can_accept(user: Any, topic: ForumTopic) -> bool:
    if not _auth(user) or topic.kind != TopicKind.QUESTION or topic.board.archived:
        return False
    return topic.author_id == user.id or moderates_board(user, topic.board)


def _association_of(obj: Any) -> Association:
    if isinstance(obj, Association):
        return obj
    if isinstance(obj, ForumBoard):
        return obj.association
    if isinstance(obj, ForumTopic):
        return obj.board.association
    if isinstance(obj, ForumPost):
        return obj.topic.board.association
    raise TypeError(f"no association for {obj!r}")


def can_moderate(user: Any, obj: Any) -> bool:
    return _auth(user) and permissions.moderates(user, _association_of(obj))


# --- what a user may see -------------------------------------------------------------


def _readable_condition(admin: bool, members, regions, off):
    """The condition of :func:`readable_board_filter` from its parts: ``members`` (the
    reader's associations), ``regions`` (those they administer) and ``off`` (associations
    with the forum switched off) are each a list of ids, a bound parameter, or empty (left
    out)."""
    if admin:
        cond = true()
    else:
        cond = ForumBoard.visibility == BoardVisibility.PUBLIC
        if members is not None and (not isinstance(members, list) or members):
            cond = or_(cond, ForumBoard.association_id.in_(members))
        if regions is not None and (not isinstance(regions, list) or regions):
            cond = or_(
                cond,
                ForumBoard.association_id.in_(
                    select(Association.id).where(Association.region_id.in_(regions))
                ),
            )
    if off is not None and (not isinstance(off, list) or off):
        cond = and_(cond, ForumBoard.association_id.notin_(off))
    return cond


def _reader_parts(user: Any) -> tuple[bool, list[int], list[int], list[int]]:
    """(site admin, member of, regions administered, forum off in) for ``user``."""
    off = sorted(plugin_gate.disabled_association_ids(PLUGIN))
    if not _auth(user):
        return False, [], [], off
    if permissions.is_site_admin(user):
        return True, [], [], off
    return (
        False,
        sorted(permissions.memberships_of(user)),
        sorted(permissions.admin_region_ids(user)),
        off,
    )


def readable_board_filter(user: Any):
    """SQL condition on ForumBoard (joined with Association) for boards ``user`` may read,
    leaving out associations where the forum is switched off."""
    return _readable_condition(*_reader_parts(user))


@functools.cache
def _readable_boards_statement(admin: bool, members: bool, regions: bool, off: bool):
    """The readable boards' ids and associations for one shape of reader, built once with
    the reader's associations, regions and the switched-off associations bound (``members``,
    ``regions``, ``off``); an empty list is left out of the statement, not bound as an
    empty set (SQLite then tests every row against it)."""

    def given(name: str, used: bool):
        return bindparam(name, expanding=True) if used else None

    return (
        select(ForumBoard.id, ForumBoard.association_id)
        .join(Association, Association.id == ForumBoard.association_id)
        .where(
            _readable_condition(
                admin, given("members", members), given("regions", regions), given("off", off)
            )
        )
    )


def readable_boards(user: Any) -> list[tuple[int, int]]:
    """``(board id, association id)`` of the boards ``user`` may read, resolved once per
    request (boards are few: 100 at the bench's national scale), so a search filters posts
    by ``board_id IN (...)`` instead of joining boards, associations, memberships and regions
    for every match, and its form lists the associations from the same rows."""
    admin, members, regions, off = _reader_parts(user)
    key = (
        "forum_readable_boards",
        getattr(user, "id", None) if _auth(user) else None,
        # switching the forum off somewhere takes effect at once, also within a request
        tuple(off),
        tuple(members),
    )
    cache = g.setdefault("_forum_cache", {})
    if key not in cache:
        stmt = _readable_boards_statement(admin, bool(members), bool(regions), bool(off))
        params = {k: v for k, v in (("members", members), ("regions", regions), ("off", off)) if v}
        cache[key] = [tuple(r) for r in db.session.execute(stmt, params)]
    return cache[key]


def readable_board_ids(user: Any) -> list[int]:
    """Ids of the boards ``user`` may read (:func:`readable_boards`)."""
    return [b for b, _a in readable_boards(user)]


def live_topic():
    """SQL condition on ForumTopic: shown to every reader of its board (approved, neither
    deleted nor hidden by a moderator). Lists, search, feeds, digests and activity use it."""
    return and_(
        ForumTopic.approved.is_(True),
        ForumTopic.deleted_at.is_(None),
        ForumTopic.hidden.is_(False),
    )


def topic_visible_filter(user: Any, *, moderator: bool = False):
    """Topics shown in lists: live ones (moderators see all, authors their pending ones)."""
    if moderator:
        return ForumTopic.merged_into_id.is_(None)  # a merged topic is only a redirect
    return topics_listed_for(user.id if _auth(user) else None)


def topics_listed_for(author_id: Any):
    """:func:`topic_visible_filter` for a reader who moderates nothing: the live topics, and
    the author's own topics waiting for approval. ``author_id`` is the reader's id, a
    ``bindparam()`` (in a statement built once), or None for a visitor."""
    cond = live_topic()
    if author_id is not None:
        cond = or_(
            cond,
            and_(
                ForumTopic.author_id == author_id,
                ForumTopic.deleted_at.is_(None),
                ForumTopic.hidden.is_(False),
            ),
        )
    return cond


def post_visible_to(user: Any, post: ForumPost, moderator: bool) -> bool:
    """Whether ``post`` appears in the thread at all (placeholders count as appearing)."""
    if moderator:
        return True
    if not post.approved:
        return _auth(user) and post.author_id == user.id
    return True


def show_body(user: Any, post: ForumPost, moderator: bool) -> bool:
    """Hidden and deleted posts keep their place as placeholders; moderators read them."""
    return moderator or (post.deleted_at is None and not post.hidden)


def post_filter(user: Any, moderator: bool):
    """Posts of a thread listed for ``user``: pending ones only for their author."""
    if moderator:
        return true()
    if _auth(user):
        return or_(ForumPost.approved.is_(True), ForumPost.author_id == user.id)
    return ForumPost.approved.is_(True)


def author_label(user: Any, post_or_topic: ForumPost | ForumTopic, moderator: bool):
    """How the author is shown: ``name``, ``user_id`` and ``handle`` (None when hidden),
    ``anonymous``, and for moderators and the author ``real_name``. A namespace, which
    templates read by attribute without Jinja's failed attribute lookup on a dict."""
    author = post_or_topic.author
    name = author.full_name if author else str(_l("Deleted user"))
    if not post_or_topic.anonymous:
        return SimpleNamespace(
            name=name,
            user_id=author.id if author else None,
            handle=author.handle if author else None,
            anonymous=False,
            real_name=None,
        )
    own = _auth(user) and post_or_topic.author_id == user.id
    return SimpleNamespace(
        name=str(_l("Anonymous")),
        user_id=None,
        handle=None,
        anonymous=True,
        real_name=name if (moderator or own) else None,
    )


# --- pages ----------------------------------------------------------------------------


def page_of_post(topic: ForumTopic, post: ForumPost) -> int:
    """The page of ``topic`` that shows ``post`` (see ``queries.topic_page``).

    An approved post's page follows from its position; a pending one (seen by its author and
    moderators) sits after the approved post before it. Neither counts the posts before it,
    which grew with the topic.
    """
    per = POSTS_PER_PAGE
    pages = max(1, -(-(topic.approved_count or 0) // per))
    if post.position is not None:
        return min(pages, max(1, -(-post.position // per)))
    before = db.session.scalar(
        select(ForumPost.position)
        .where(
            ForumPost.topic_id == topic.id,
            ForumPost.number < post.number,
            ForumPost.position.is_not(None),
        )
        .order_by(ForumPost.number.desc())
        .limit(1)
    )
    return min(pages, (before or 0) // per + 1)


# --- writing --------------------------------------------------------------------------


#: Moderation log actions in words (the log page shows these, the action's code otherwise).
LOG_ACTIONS = {
    "board.create": _l("Board created"),
    "board.edit": _l("Board edited"),
    "board.order": _l("Boards reordered"),
    "board.ban": _l("Banned from the board"),
    "board.unban": _l("Ban lifted"),
    "board.archive": _l("Board archived"),
    "board.unarchive": _l("Board restored from the archive"),
    "topic.pin": _l("Topic pinned"),
    "topic.unpin": _l("Topic unpinned"),
    "topic.lock": _l("Topic locked"),
    "topic.unlock": _l("Topic unlocked"),
    "topic.delete": _l("Topic deleted"),
    "topic.restore": _l("Topic restored"),
    "topic.hide": _l("Topic hidden"),
    "topic.unhide": _l("Topic shown again"),
    "topic.move": _l("Topic moved"),
    "topic.split": _l("Posts moved to another topic"),
    "topic.tags": _l("Topic tags changed"),
    "topic.merge": _l("Topic merged into another"),
    "topic.accept": _l("Answer accepted"),
    "topic.unaccept": _l("Accepted answer withdrawn"),
    "post.approve": _l("Message approved"),
    "post.reject": _l("Message rejected"),
    "post.reject_edit": _l("Edit rejected"),
    "post.hide": _l("Message hidden"),
    "post.unhide": _l("Message shown again"),
    "post.edit": _l("Message edited by a moderator"),
    "post.delete": _l("Message deleted"),
    "post.restore": _l("Message restored"),
    "post.official_answer": _l("Marked as the official answer"),
    "flag.agree": _l("Flag accepted"),
    "flag.disagree": _l("Flag declined"),
    "official.open": _l("Question to officials: open"),
    "official.answered": _l("Question to officials: answered"),
    "official.closed": _l("Question to officials: closed"),
    "official.add": _l("Official added to the list"),
    "official.remove": _l("Official removed from the list"),
}


def log_label(action: str) -> str:
    label = LOG_ACTIONS.get(action)
    return str(label) if label is not None else action


def log(
    association_id: int,
    actor: Any,
    action: str,
    *,
    board_id: int | None = None,
    topic_id: int | None = None,
    post_id: int | None = None,
    details: str = "",
) -> None:
    db.session.add(
        ForumModLog(
            association_id=association_id,
            actor_id=getattr(actor, "id", None),
            action=action,
            board_id=board_id,
            topic_id=topic_id,
            post_id=post_id,
            details=details[:2000],
        )
    )


def needs_approval(user: Any, board: ForumBoard) -> bool:
    """Pre-moderation: the whole board, or a member's first N posts in the association."""
    if moderates_board(user, board):
        return False
    if board.premoderate:
        return True
    if board.moderate_first_posts > 0:
        approved = db.session.scalar(
            select(func.count(ForumPost.id))
            .join(ForumTopic, ForumTopic.id == ForumPost.topic_id)
            .where(
                ForumTopic.association_id == board.association_id,
                ForumPost.author_id == user.id,
                ForumPost.approved.is_(True),
            )
        )
        return (approved or 0) < board.moderate_first_posts
    return False


def add_post(
    topic: ForumTopic, author: User, body: str, *, anonymous: bool = False, approved: bool = True
) -> ForumPost:
    """Append a post with the next number; counters change only for approved posts."""
    topic.highest_number = (topic.highest_number or 0) + 1
    now = utcnow()
    post = ForumPost(
        topic=topic,
        number=topic.highest_number,
        author_id=author.id,
        body=body,
        created_at=now,
        approved=approved,
        anonymous=anonymous,
    )
    db.session.add(post)
    if approved:
        bump(topic, post)
    return post


def bump(topic: ForumTopic, post: ForumPost) -> None:
    """An approved post joins the thread: its position, counters, last activity and unread
    marks move (``counters.joined``)."""
    counters.joined(topic, post)


def mark_read(user: Any, topic: ForumTopic, number: int) -> None:
    if not _auth(user) or number <= 0:
        return
    state = db.session.get(ForumReadState, (user.id, topic.id))
    if state is None:
        db.session.add(ForumReadState(user_id=user.id, topic_id=topic.id, last_read_number=number))
    elif number > state.last_read_number:
        state.last_read_number = number


def record_revision(post: ForumPost, editor: Any, title: str = "") -> None:
    db.session.add(
        ForumRevision(
            post_id=post.id, body=post.body, title=title, editor_id=getattr(editor, "id", None)
        )
    )


# --- edits waiting for approval (see the models' docstring) -----------------------------


def edit_needs_approval(user: Any, post: ForumPost) -> bool:
    """An approved post's edit waits for a moderator wherever the editor's new posts would.

    A post still waiting for approval is edited in place: it is in the queue anyway.
    """
    return post.approved and needs_approval(user, post.topic.board)


def hold_edit(post: ForumPost, body: str, title: str | None, now: dt.datetime) -> None:
    """Keep the author's new version aside; readers go on seeing the approved one."""
    post.pending_body = body
    post.pending_title = title or None
    post.pending_since = now


def drop_pending_edit(post: ForumPost) -> None:
    post.pending_body = post.pending_title = post.pending_since = None


def apply_pending_edit(post: ForumPost, now: dt.datetime) -> None:
    """A moderator approved the waiting edit: it becomes the post, the old text a revision."""
    topic = post.topic
    first = post.number == 1
    record_revision(post, post.author, topic.title if first else "")
    post.body = post.pending_body or post.body
    if first and post.pending_title:
        topic.title = post.pending_title
    post.edited_at = now
    drop_pending_edit(post)


def awaiting_moderation():
    """SQL condition on ForumPost: in the approval queue (a new post or an edit waiting)."""
    return and_(
        or_(ForumPost.approved.is_(False), ForumPost.pending_body.is_not(None)),
        ForumPost.deleted_at.is_(None),
    )


# --- watching and notifications -------------------------------------------------------


def watch_level(user: Any, *, board_id: int | None = None, topic_id: int | None = None) -> str:
    if not _auth(user):
        return WatchLevel.NORMAL
    stmt = select(ForumWatch.level).where(ForumWatch.user_id == user.id)
    stmt = stmt.where(
        ForumWatch.board_id == board_id if board_id is not None else ForumWatch.topic_id == topic_id
    )
    return db.session.scalar(stmt) or WatchLevel.NORMAL


def set_watch(user: User, level: str, *, board_id: int | None = None, topic_id: int | None = None):
    stmt = select(ForumWatch).where(ForumWatch.user_id == user.id)
    stmt = stmt.where(
        ForumWatch.board_id == board_id if board_id is not None else ForumWatch.topic_id == topic_id
    )
    row = db.session.scalar(stmt)
    if row is None:
        row = ForumWatch(user_id=user.id, board_id=board_id, topic_id=topic_id)
        db.session.add(row)
    row.level = level


def effective_levels(topic: ForumTopic) -> dict[int, str]:
    """user id -> watch level for ``topic``: the topic's own setting, else the board's."""
    levels: dict[int, str] = {}
    for uid, level in db.session.execute(
        select(ForumWatch.user_id, ForumWatch.level).where(ForumWatch.board_id == topic.board_id)
    ):
        levels[uid] = level
    for uid, level in db.session.execute(
        select(ForumWatch.user_id, ForumWatch.level).where(ForumWatch.topic_id == topic.id)
    ):
        levels[uid] = level
    return levels


# ``@handle`` (lower-case Latin letters, digits, "_"; core.api.handles), and for posts written
# before handles existed ``@Name_Surname`` (the full name with underscores, any script).
MENTION_RE = re.compile(r"(?<![\w@])@(\w[\w.\-]*)", re.UNICODE)
_CODE_SPAN = re.compile(r"(`+).+?\1")
_HANDLE_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{2,29}(?![A-Za-z0-9_])")


def mention_handle(user: User) -> str:
    """How members mention each other: ``@`` and this (the user's handle)."""
    return user.handle


def _legacy_handle(user_full_name: str) -> str:
    return "_".join(user_full_name.split()).casefold()


def _mention_tokens(bodies: Iterable[str]) -> tuple[set[str], set[str]]:
    """(handles, full names) that ``@...`` in ``bodies`` may mean."""
    handle_set: set[str] = set()
    names: set[str] = set()
    for body in bodies:
        for token in MENTION_RE.findall(body or ""):
            names.add(token.replace("_", " "))
            m = _HANDLE_PREFIX.match(token)
            if m:
                handle_set.add(m.group(0).lower())
    return handle_set, names


def _resolve(token: str, targets: dict[str, int]) -> tuple[int, str] | None:
    """(user id, the part of ``token`` that names them) or None: the whole token as a handle
    or an old ``Name_Surname``, else its leading handle (``@aigul,`` ``@aigul.``)."""
    whole = token.casefold()
    if whole in targets:
        return targets[whole], token
    m = _HANDLE_PREFIX.match(token)
    if m and m.group(0).lower() in targets:
        return targets[m.group(0).lower()], m.group(0)
    return None


def mention_targets(bodies: Iterable[str], association_id: int) -> dict[str, int]:
    """handle (and casefolded old ``Name_Surname``) -> user id, for the members of the
    association mentioned in ``bodies`` (one query)."""
    handle_set, names = _mention_tokens(bodies)
    if not names:
        return {}
    rows = db.session.execute(
        select(User.id, User.full_name, User.handle)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.association_id == association_id,
            or_(User.handle.in_(handle_set), User.full_name.in_(names)),
        )
    )
    targets: dict[str, int] = {}
    by_handle: dict[str, int] = {}
    for uid, name, handle in rows:
        targets[_legacy_handle(name)] = uid
        by_handle[handle] = uid
    targets.update(by_handle)  # a handle wins over someone's old name form
    return targets


def mentioned_members(body: str, association_id: int) -> list[User]:
    # Quoted lines repeat someone else's words: mentions there are not new; nor are those in
    # code (shown as typed, not as links).
    lines, fenced = [], False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and not line.lstrip().startswith(">"):
            lines.append(_CODE_SPAN.sub(" ", line))
    own = "\n".join(lines)
    targets = mention_targets([own], association_id)
    ids = {hit[0] for t in MENTION_RE.findall(own) if (hit := _resolve(t, targets))}
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True))))


_TAG = re.compile(r"(<[^>]*>)")


def link_mentions(html: Markup, targets: dict[str, int]) -> Markup:
    """Turn ``@handle`` (and old ``@Name_Surname``) in the text of sanitised HTML into links.

    Only text between tags is touched, never attributes, and never inside links or code.
    """
    if not targets:
        return html
    out: list[str] = []
    skip = 0
    for part in _TAG.split(str(html)):
        if part.startswith("<"):
            name = part[1:].lstrip("/").split(" ", 1)[0].split(">", 1)[0].lower()
            if name in ("a", "code", "pre"):
                skip += -1 if part.startswith("</") else 1
            out.append(part)
            continue
        if skip > 0:
            out.append(part)
            continue

        def repl(m: re.Match) -> str:
            hit = _resolve(m.group(1), targets)
            if hit is None:
                return m.group(0)
            uid, named = hit
            href = url_for("core.profile", user_id=uid)
            rest = m.group(1)[len(named) :]
            return f'<a class="mention" href="{href}">@{named}</a>{rest}'

        out.append(MENTION_RE.sub(repl, part))
    return Markup("".join(out))  # noqa: S704 - only links we built are added to sanitised HTML


def official_choices(association_id: int) -> list[tuple[int, str]]:
    """The accounts questions may be addressed to, as ``(user id, "title (name)")``."""
    rows = db.session.execute(
        select(ForumOfficial.user_id, ForumOfficial.title, User.full_name)
        .join(User, User.id == ForumOfficial.user_id)
        .where(ForumOfficial.association_id == association_id, User.active.is_(True))
        .order_by(ForumOfficial.title, User.full_name)
    )
    return [(uid, f"{title} ({name})") for uid, title, name in rows]


def official_title(association_id: int, user_id: int) -> str | None:
    return db.session.scalar(
        select(ForumOfficial.title).where(
            ForumOfficial.association_id == association_id, ForumOfficial.user_id == user_id
        )
    )


STATUS_WORDS = {
    "open": _l("open"),
    "answered": _l("answered"),
    "closed": _l("closed"),
}


def tell_asker(topic: ForumTopic, actor: Any) -> None:
    """The asker of a question to officials hears that its status changed (not when they
    changed it themselves)."""
    author = topic.author
    if author is None or getattr(actor, "id", None) == author.id:
        return
    notifications.notify(
        author,
        "forum.official_status",
        _l(
            "Your question %(title)s is now %(status)s",
            title=topic.title,
            status=STATUS_WORDS.get(topic.official_status, topic.official_status),
        ),
        "",
        url_for("forum.topic", topic_id=topic.id),
        topic.association_id,
    )


def official_answered(topic: ForumTopic, post: ForumPost, actor: Any) -> None:
    """``post`` becomes the official answer: the status moves to answered and the asker is
    told when it changed."""
    topic.official_post_id = post.id
    changed = topic.official_status != "answered"
    topic.official_status = "answered"
    if changed:
        tell_asker(topic, actor)


def _readers(users: Iterable[User], topic: ForumTopic) -> list[User]:
    """Who of ``users`` may read ``topic``: readers of its board and its addressee; only
    moderators while it is hidden."""
    board = topic.board
    if topic.hidden:
        return [u for u in users if moderates_board(u, board)]
    return [u for u in users if can_read_board(u, board) or is_addressee(u, topic)]


def notify_new_post(post: ForumPost, actor: User) -> None:
    """Replies to topic watchers, new topics to board watchers, mentions unless muted; every
    post to the board's mailing-list subscribers (``plugins.forum.mailing_list``), who then get
    no second email for it. Emails about the post carry a reply address (``topic:<id>``).

    Anonymous posts notify with no author name. Pending posts notify nobody until approved.
    """
    from plugins.forum import mailing_list

    topic = post.topic
    board = topic.board
    levels = effective_levels(topic)
    url = url_for("forum.permalink", post_id=post.id)
    who = _l("Anonymous") if post.anonymous else actor.full_name
    reply_to = f"topic:{topic.id}"
    listed = mailing_list.subscriber_ids(board) - {actor.id}
    mentioned = {u.id: u for u in mentioned_members(post.body, board.association_id)}
    mentioned.pop(actor.id, None)
    mentioned = {uid: u for uid, u in mentioned.items() if levels.get(uid) != WatchLevel.MUTED}
    watchers_ids = {
        uid for uid, level in levels.items() if level == WatchLevel.WATCHING and uid != actor.id
    } - set(mentioned)
    watchers = list(db.session.scalars(select(User).where(User.id.in_(watchers_ids))))
    watchers = _readers(watchers, topic)
    if post.number == 1:
        kind, title = (
            "forum.new_topic",
            _l("New topic in %(board)s: %(title)s", board=board.name, title=topic.title),
        )
    else:
        kind, title = "forum.reply", _l("%(who)s replied in %(title)s", who=who, title=topic.title)
    addressee = None
    if (
        post.number == 1
        and not topic.hidden
        and topic.addressee_id
        and topic.addressee_id != actor.id
    ):
        addressee = db.session.get(User, topic.addressee_id)
        if addressee is not None and addressee.active:
            notifications.notify(
                addressee,
                "forum.addressed",
                _l("A question is addressed to you: %(title)s", title=topic.title),
                "",
                url,
                board.association_id,
            )
            watchers = [u for u in watchers if u.id != addressee.id]
    readers = _readers(mentioned.values(), topic)
    mention_title = _l("%(who)s mentioned you in %(title)s", who=who, title=topic.title)
    for group, k, t in ((watchers, kind, title), (readers, "forum.mention", mention_title)):
        for by_list in (False, True):
            users = [u for u in group if (u.id in listed) == by_list]
            if users:
                notifications.notify(
                    users,
                    k,
                    t,
                    "",
                    url,
                    board.association_id,
                    email=not by_list,
                    reply_to=reply_to,
                )
    if listed:
        subscribers = db.session.scalars(
            select(User).where(User.id.in_(listed), User.active.is_(True))
        )
        recipients = [
            u
            for u in _readers(subscribers, topic)
            if permissions.is_member(u, board.association_id)
            and levels.get(u.id) != WatchLevel.MUTED
        ]
        mailing_list.send(post, who, recipients, utcnow())


# --- read tracking in lists -----------------------------------------------------------


@functools.cache
def _unread_numbers_statement():
    # Built once: every topic list runs it (see "Statements a page runs every time" in
    # DEVELOPERS.md).
    return select(ForumReadState.topic_id, ForumReadState.last_read_number).where(
        ForumReadState.user_id == bindparam("user_id"),
        ForumReadState.topic_id.in_(bindparam("topic_ids", expanding=True)),
    )


def unread_numbers(user: Any, topic_ids: list[int]) -> dict[int, int]:
    """topic id -> last read post number for ``user`` (one query)."""
    if not _auth(user) or not topic_ids:
        return {}
    rows = db.session.execute(
        _unread_numbers_statement(), {"user_id": user.id, "topic_ids": list(topic_ids)}
    )
    return dict(rows.all())


def unread_condition(user: Any):
    """SQL: the topic has posts ``user`` has not read (a never-opened recent topic counts)."""
    rs = ForumReadState
    return or_(
        and_(rs.topic_id.is_not(None), ForumTopic.visible_number > rs.last_read_number),
        and_(rs.topic_id.is_(None), ForumTopic.last_post_at >= utcnow() - NEW_WINDOW),
    )


def unread_counts_by_board(user: Any, board_ids: list[int]) -> dict[int, int]:
    """board id -> number of unread topics, in one aggregate query."""
    if not _auth(user) or not board_ids:
        return {}
    rs = ForumReadState
    stmt = (
        select(ForumTopic.board_id, func.count(ForumTopic.id))
        .outerjoin(rs, and_(rs.topic_id == ForumTopic.id, rs.user_id == user.id))
        .where(
            ForumTopic.board_id.in_(board_ids),
            live_topic(),
            unread_condition(user),
        )
        .group_by(ForumTopic.board_id)
    )
    return dict(db.session.execute(stmt).all())


# --- search ---------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(query: str) -> list[str]:
    """The words of a query as typed (for the search form and highlighting)."""
    return [w for w in _WORD.findall(query or "") if len(w) >= 2][:8]


def _fts_match(groups: list[tuple[str, ...]]) -> str:
    # Each word's forms quoted as FTS5 strings, OR-ed; the words AND-ed. No operator typed by
    # the user is ever interpreted.
    def quoted(form: str) -> str:
        return '"{}"'.format(form.replace('"', '""'))

    return " AND ".join("(" + " OR ".join(quoted(f) for f in forms) + ")" for forms in groups)


def _pg_tsquery(groups: list[tuple[str, ...]]) -> str:
    parts = []
    for forms in groups:
        safe = [re.sub(r"[^\w]", "", f) for f in forms]
        safe = [f for f in safe if f]
        if safe:
            parts.append("(" + " | ".join(safe) + ")")
    return " & ".join(parts)


#: Search ranks by relevance only among the newest matches a reader may see. Ranking every
#: match cannot be fast for a common word: at 1M posts bm25 over all 36,962 matches of a
#: middling word took 0.8 s and over the 334,318 of a word in a third of all posts 4.2 s on
#: SQLite, however few rows are shown. Matches read in post-id order (= recency: the FTS5
#: rowid, PostgreSQL's primary key) stop after this many readable ones, and only those are
#: scored. The cost is one lookup by key per match read, and an anonymous reader sees a fifth
#: of the boards at the bench's scale, so 1,000 readable candidates mean about 5,000 matches
#: read (7 ms at scale 0.05; 2,000 took 15 ms). 1,000 is fifty pages of results, more than
#: anyone reads through, and a wide field for relevance to choose the best 20 from; the page
#: says when the cut was made.
SEARCH_CANDIDATES = 1000


#: What a search hit loads: the post's own columns that the results show (not its cooked
#: HTML, pending edit or search text), its topic's title and association and its author's
#: name, joined into the search statement (two selectin statements loading whole rows were
#: 4 ms of a 14 ms search for a rare word).
_HIT_COLUMNS = (
    load_only(
        ForumPost.topic_id,
        ForumPost.number,
        ForumPost.author_id,
        ForumPost.body,
        ForumPost.anonymous,
        ForumPost.created_at,
        ForumPost.approved,
        ForumPost.hidden,
        ForumPost.deleted_at,
    ),
    # not the topic's board and association (joined by default): the results do not show
    # them, and with them SQLite's planner gave up the candidates as the outer loop (2 s)
    joinedload(ForumPost.topic)
    .load_only(ForumTopic.title, ForumTopic.association_id, ForumTopic.board_id)
    .lazyload(ForumTopic.board),
    joinedload(ForumPost.author).load_only(User.full_name, User.handle),
)


class SearchHits(list):
    """``(post, score)`` pairs, best first; ``limited`` when the query had at least
    :data:`SEARCH_CANDIDATES` readable matches, so only the newest of them were ranked."""

    limited: bool = False


def search_posts(
    user: Any,
    query: str,
    *,
    association_id: int | None = None,
    board_id: int | None = None,
    author_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchHits:
    """Visible posts matching ``query`` in boards ``user`` may read, best first among the
    newest :data:`SEARCH_CANDIDATES` such posts.

    Every word of the query must match, in any of its forms (``core.api.query_forms``),
    the post's ``search_text`` or, for an opening post, its topic's.

    One statement: the candidates are read from the full-text index newest first, filtered
    by permission and the search form's filters as they are read (boards the reader may
    read resolved once per request, :func:`readable_board_ids`), cut at
    :data:`SEARCH_CANDIDATES`, and only then scored and sorted.

    - SQLite: FTS5 walks the matches in descending rowid order itself (``ORDER BY rowid
      DESC`` is consumed by the virtual table, no sort) and the ``LIMIT`` stops the walk;
      the post and topic of each candidate are checked by primary key in a correlated
      ``EXISTS`` (so the FTS table stays the outer loop); ``bm25`` (title weighted 3) is
      computed for the kept rows only. Before, ``ORDER BY rank LIMIT n`` made FTS5 score
      every match.
    - PostgreSQL: each GIN index (post text, topic title for opening posts) gives its
      newest matches, joined with topics and filtered, cut by ``LIMIT``; ``ts_rank`` runs
      on the union of the two cut lists only. Matching, rechecks and ranking read the
      stored vectors ``search_tsv`` (forum_0070), never ``to_tsvector``. For a common
      word the posts' matches are read walking the primary key newest first instead of
      from the GIN bitmap (:func:`_pg_walk_newest`); for a middling one the bitmap is
      read above a floor first (:func:`_pg_floor`).
    """
    out = SearchHits()
    groups = query_forms(query)
    if not groups or offset >= SEARCH_CANDIDATES:
        # past the ranked candidates there is nothing to show (the results page offers no
        # link there; a typed URL needs no search)
        return out
    dialect = db.session.get_bind().dialect.name
    tsquery = ""
    if dialect != "sqlite":
        tsquery = _pg_tsquery(groups)
        if not tsquery:
            return out
    boards = readable_board_ids(user)
    if not boards:
        return out
    filters = {
        k: v
        for k, v in (
            ("association_id", association_id),
            ("board_id", board_id),
            ("author_id", author_id),
            ("since", since),
            ("until", until),
        )
        if v
    }
    # PostgreSQL: walk the primary key for a word common enough (see _pg_walk_newest), else
    # read the GIN bitmap from a floor up (_pg_floor); neither with a narrowing filter, whose
    # readers' share of the matches is unknown
    walk, floor = False, None
    if dialect == "postgresql" and not (association_id or board_id or author_id or since or until):
        readable = len(boards) / _board_count()
        walk = _pg_walk_newest(groups, readable, SEARCH_CANDIDATES)
        if not walk:
            floor = _pg_floor(groups, readable, SEARCH_CANDIDATES)

    params = {
        **filters,
        "match": _fts_match(groups) if dialect == "sqlite" else tsquery,
        "boards": boards,
        "window": SEARCH_CANDIDATES,
        "limit": limit,
        "offset": offset,
    }

    def run(floor: int | None) -> list:
        stmt = _bound_search_statement(dialect, tuple(filters), walk, floor is not None)
        values = params if floor is None else {**params, "floor": floor}
        if dialect != "postgresql":
            return db.session.execute(stmt, values).all()
        # A common word's matches are a third of the table, and the planner then reads the
        # whole table instead of the GIN bitmap (490 ms against 170 ms for 67,184 matches
        # among 200,000 posts): no sequential scan for this statement only, the setting
        # restored afterwards (set_config(..., true) lasts to the end of the transaction).
        # Above a floor, no index scan either: the planner would walk the primary key's
        # range checking every post (420 ms) instead of intersecting its bitmap with the GIN
        # index's (BitmapAnd, 39 ms).
        # And a plan for these words each time: a statement prepared on the connection is
        # otherwise planned once for any words (see core.services.read_only_end).
        settings = {"enable_seqscan": "off", "plan_cache_mode": "force_custom_plan"}
        if floor is not None:
            settings["enable_indexscan"] = "off"
        previous = db.session.execute(
            text(
                "SELECT "
                + ", ".join(
                    f"current_setting('{k}'), set_config('{k}', '{v}', true)"
                    for k, v in settings.items()
                )
            )
        ).one()[::2]
        try:
            return db.session.execute(stmt, values).all()
        finally:  # restored in one statement
            db.session.execute(
                text(
                    "SELECT "
                    + ", ".join(f"set_config('{k}', :v{i}, true)" for i, k in enumerate(settings))
                ),
                {f"v{i}": v for i, v in enumerate(previous)},
            )

    rows = run(floor)
    if floor is not None and not (rows and rows[0].n >= SEARCH_CANDIDATES and rows[0].low > floor):
        # Fewer than SEARCH_CANDIDATES readable matches above the floor: the newest ones
        # may lie below it, so read them all (see _pg_floor).
        rows = run(None)
    out.extend((p, float(s or 0)) for p, s, _n, _low in rows)
    out.limited = bool(rows) and rows[0].n >= SEARCH_CANDIDATES
    return out


def _board_count() -> int:
    cache = g.setdefault("_forum_cache", {})
    if "forum_board_count" not in cache:
        cache["forum_board_count"] = db.session.scalar(select(func.count(ForumBoard.id))) or 1
    return max(1, cache["forum_board_count"])


def _pg_walk_newest(groups: list[tuple[str, ...]], readable: float, window: int) -> bool:
    """PostgreSQL: whether the newest ``window`` readable posts matching ``groups`` are found
    faster by walking the primary key newest first, checking each post's stored vector, than
    from the GIN index (a bitmap of every match, then a top-N sort of their ids).

    Walking reads about ``window / (share * readable)`` posts until it has ``window``
    readable matches (``share``: of all posts matching, ``readable``: of the boards the
    reader may read); the bitmap reads ``posts * share``. Both cost about the same per row
    read (3.5 us a post walked, reading and decompressing its vector; 2.5-3.5 us a match
    from the bitmap), so the walk wins when ``share**2 * readable * posts > window``. At
    scale 0.2 (200,000 posts, an anonymous reader sees a fifth of the boards) that is a word
    in more than 16% of the posts: for one in a third the walk takes 55 ms and the bitmap
    165 ms, for one in 3.7% the walk 450 ms and the bitmap 26 ms.

    The planner makes this choice itself but badly: it undercounts the cost of a walked row
    and, for a word whose forms are all stored (``танит | танита``), doubles the share. So
    the share is taken here from the column's statistics (its most common words, kept by
    ANALYZE): for each word the largest share among its forms, the words multiplied as the
    planner does. A word not among them is rarer than every one that is: bitmap."""
    estimate = _pg_share(groups)
    if estimate is None:
        return False
    share, posts = estimate
    return share * share * readable * posts > window


def _pg_share(groups: list[tuple[str, ...]]) -> tuple[float, float] | None:
    """PostgreSQL: ``(share, posts)``, the expected share of posts matching ``groups`` and
    the number of posts, from ``forum_post.search_tsv``'s statistics (see
    :func:`_pg_walk_newest`), read once per request; ``None`` when no form of the query is
    among the column's most common words."""
    cache = g.setdefault("_forum_cache", {})
    key = ("pg_share", tuple(groups))
    if key in cache:
        return cache[key]
    forms = sorted({f for group in groups for f in group})
    rows = db.session.execute(
        text(
            "SELECT e.elem, e.freq, c.reltuples FROM pg_stats s "
            "CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], "
            "s.most_common_elem_freqs) AS e(elem, freq) "
            "CROSS JOIN (SELECT reltuples FROM pg_class "
            "WHERE oid = 'forum_post'::regclass) c "
            "WHERE s.schemaname = current_schema() AND s.tablename = 'forum_post' "
            "AND s.attname = 'search_tsv' AND e.elem = ANY(:forms)"
        ),
        {"forms": forms},
    ).all()
    estimate = None
    if rows:
        freq = {elem: share for elem, share, _n in rows}
        share = 1.0
        for group in groups:
            share *= max((freq.get(f, 0.0) for f in group), default=0.0)
        estimate = (share, float(rows[0][2]))
    cache[key] = estimate
    return estimate


def _pg_floor(groups: list[tuple[str, ...]], readable: float, window: int) -> int | None:
    """PostgreSQL, a word read from the GIN bitmap: a post id under which the newest
    ``window`` readable matches are unlikely to lie, or ``None`` to read every match.

    The bitmap's cost is in the heap: every match's row is read to check that it is visible
    and to sort the ids (a word in 3.7% of a million posts: 37,000 rows, 21,000 pages, 125
    of 140 ms). Intersected with the primary key's range above the floor (a BitmapAnd),
    only the newest matches' rows are read: 39 ms. The range is twice what the column's
    statistics expect to hold ``window`` readable matches (``window / (share *
    readable)`` posts, as in :func:`_pg_walk_newest`); :func:`search_posts` reads every
    match again when fewer than ``window`` readable ones lie above the floor, so the hits
    are those of a search without one, only found sooner. ``None`` for a word too rare for
    the statistics (its bitmap is small) or when the range would cover half the posts."""
    estimate = _pg_share(groups)
    if estimate is None:
        return None
    share, posts = estimate
    if share * readable <= 0:
        return None
    span = 2 * window / (share * readable)
    if span >= posts / 2:
        return None
    top = db.session.scalar(select(func.max(ForumPost.id)))
    return int(top - span) if top else None


#: The FTS5 table (rowid = post id) and its hidden column, named in MATCH and bm25().
_FTS = sql_table("forum_post_fts", column("rowid", db.Integer))
_FTS_SELF = literal_column("forum_post_fts")


def _fts_candidates(match, post_f: list, topic_f: list, window: int):
    """SQLite: the newest ``window`` readable matches of ``match`` (an FTS5 query,
    :func:`_fts_match`, or a parameter bound to one) with their bm25 rank (lower is better).

    Each match read from the index costs a lookup of its post and of its topic by key, in a
    correlated ``EXISTS`` (so the FTS table stays the outer loop). The topic is not checked
    against a list of the readable topics' ids instead: SQLite builds that list for every
    statement, and at the national scale (20,000 topics) building it cost more than it saved
    (rare word 15.6 ms against 3.0 ms, middling 16.5 against 13.5, a word in a third of all
    posts 45.6 against 19.3; at 1,000 topics the list had been the faster of the two)."""
    readable = (
        select(literal(1))
        .select_from(ForumPost)
        .join(ForumTopic, ForumTopic.id == ForumPost.topic_id)
        .where(ForumPost.id == _FTS.c.rowid, *post_f, *topic_f)
        .correlate(_FTS)
    )
    return (
        select(_FTS.c.rowid.label("id"), func.bm25(_FTS_SELF, 3.0, 1.0).label("rank"))
        .where(_FTS_SELF.op("MATCH")(match), exists(readable))
        .order_by(_FTS.c.rowid.desc())
        .limit(window)
        .subquery("cand")
    )


#: The stored tsvector columns (``forum_post.search_tsv``, ``forum_topic.search_tsv``: DDL on
#: PostgreSQL only, see ``plugins.forum.models.PG_SEARCH_DDL``), named as SQL.
_POST_TSV = literal_column("forum_post.search_tsv", TSVECTOR)
_TOPIC_TSV = literal_column("forum_topic.search_tsv", TSVECTOR)


def _pg_candidates(
    tsquery: str, post_f: list, topic_f: list, window: int, walk: bool, floor: int | None = None
):
    """PostgreSQL: the newest ``window`` readable posts whose text matches or whose topic's
    title does (opening posts), each list read newest first, with their ``ts_rank`` computed
    on the cut union only (an opening post whose title matches first).

    Both the match and the rank read the stored vectors (``search_tsv``), never
    ``to_tsvector``: see ``PG_SEARCH_DDL`` for why."""
    tsq = func.to_tsquery(
        TS_CONFIG, tsquery if isinstance(tsquery, BindParameter) else literal(tsquery)
    )

    def newest(*match, walk: bool = False):
        return (
            select(ForumPost.id.label("id"))
            .join(ForumTopic, ForumTopic.id == ForumPost.topic_id)
            .where(*match, *post_f, *topic_f)
            # ``id + 0``: not the primary key's order, so the planner takes the GIN index (a
            # bitmap of the matches, then a top-N sort of ids) rather than walking the
            # primary key backwards checking every post it passes; ``walk``: the key's
            # order, which the planner then walks (a common word, see _pg_walk_newest)
            .order_by(ForumPost.id.desc() if walk else (ForumPost.id + 0).desc())
            .limit(window)
        )

    both = union(
        newest(
            _POST_TSV.op("@@")(tsq), *([] if floor is None else [ForumPost.id > floor]), walk=walk
        )
        .subquery()
        .select(),
        newest(_TOPIC_TSV.op("@@")(tsq), ForumPost.number == 1).subquery().select(),
    ).subquery("m")
    cut = select(both.c.id).order_by(both.c.id.desc()).limit(window).subquery("cut")
    title_score = case(
        (
            and_(ForumPost.number == 1, _TOPIC_TSV.op("@@")(tsq)),
            func.ts_rank(_TOPIC_TSV, tsq) + 1.0,
        ),
        else_=0.0,
    )
    return (
        select(
            ForumPost.id.label("id"),
            (-func.greatest(func.ts_rank(_POST_TSV, tsq), title_score)).label("rank"),
        )
        .join(cut, cut.c.id == ForumPost.id)
        .join(ForumTopic, ForumTopic.id == ForumPost.topic_id)
        .subquery("cand")
    )


@functools.cache
def _bound_search_statement(dialect: str, filters: tuple[str, ...], walk: bool, floored: bool):
    """:func:`_search_statement` with its hits' columns for one shape of search (the search
    form's ``filters`` in use, ``walk``, a floor or none), built once with everything else
    bound: the words (``match``: FTS5's MATCH string or PostgreSQL's tsquery), the readable
    boards, the filters' values, the number of candidates (``window``), the floor, the page.
    Building the statement and computing its cache key had cost more than SQLite takes to
    run it for a rare word."""
    post_f = [
        ForumPost.approved.is_(True),
        ForumPost.hidden.is_(False),
        ForumPost.deleted_at.is_(None),
    ]
    topic_f = [ForumTopic.board_id.in_(bindparam("boards", expanding=True)), live_topic()]
    if "association_id" in filters:
        topic_f.append(ForumTopic.association_id == bindparam("association_id"))
    if "board_id" in filters:
        topic_f.append(ForumTopic.board_id == bindparam("board_id"))
    if "author_id" in filters:
        # Anonymous posts never answer an author filter: it would unmask them.
        post_f += [ForumPost.author_id == bindparam("author_id"), ForumPost.anonymous.is_(False)]
    if "since" in filters:
        post_f.append(ForumPost.created_at >= bindparam("since"))
    if "until" in filters:
        post_f.append(ForumPost.created_at < bindparam("until"))
    return _search_statement(
        dialect,
        bindparam("match", type_=db.String),
        post_f,
        topic_f,
        bindparam("window", type_=db.Integer),
        walk=walk,
        floor=bindparam("floor", type_=db.Integer) if floored else None,
        limit=bindparam("limit", type_=db.Integer),
        offset=bindparam("offset", type_=db.Integer),
    ).options(*_HIT_COLUMNS)


def _search_statement(
    dialect: str,
    match,
    post_f,
    topic_f,
    window: int,
    *,
    walk: bool = False,
    floor: int | None = None,
    limit: int = 20,
    offset: int = 0,
):
    """The page of posts ``offset`` to ``offset + limit`` with their score (higher is
    better), the number of candidates and the lowest candidate's id, best first (``walk``:
    PostgreSQL reads a common word's matches along the primary key; ``floor``: only posts
    above that id, see :func:`_pg_floor`).

    The candidates are ranked and cut to the page before the hits' posts, topics and
    authors are joined (``_HIT_COLUMNS``): joined first, every one of the ``window``
    candidates was looked up three times more to show twenty (PostgreSQL, a word in 3.7% of
    a million posts: 18 of 57 ms)."""
    if dialect == "sqlite":
        cand = _fts_candidates(match, post_f, topic_f, window)
    else:
        cand = _pg_candidates(match, post_f, topic_f, window, walk, floor)
    counted = select(
        cand.c.id,
        cand.c.rank,
        func.count().over().label("n"),
        func.min(cand.c.id).over().label("low"),
    ).subquery("fts")
    page = (
        select(counted)
        .order_by(counted.c.rank, counted.c.id.desc())
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    return (
        select(ForumPost, (-page.c.rank).label("score"), page.c.n, page.c.low)
        .join(page, page.c.id == ForumPost.id)
        .order_by(page.c.rank, ForumPost.id.desc())
    )


_MD_NOISE = re.compile(r"[*_`#>\[\]()!~|]+")


def plain_text(body: str) -> str:
    return " ".join(_MD_NOISE.sub(" ", body or "").split())


def highlight(body: str, terms: list[str], width: int = 220) -> Markup:
    """A snippet of ``body`` around the first match, escaped, matches wrapped in <mark>.

    A word matches when one of its forms is a form of a query word (``core.api``'s
    normaliser: "сабақ" marks "сабақтарымызда") or when it starts with a word as typed.
    """
    plain = plain_text(body)
    if not terms:
        return escape(plain[:width])
    query = " ".join(terms)
    spans = matching_spans(plain, query, first=True)
    start = max(0, (spans[0][0] if spans else 0) - width // 3)
    chunk = plain[start : start + width]
    out = escape("…" if start else "")
    out += mark_spans(chunk, matching_spans(chunk, query))
    if start + width < len(plain):
        out += escape("…")
    return out


def snippet_text(body: str, terms: list[str], width: int = 200) -> str:
    """Plain text of ``body`` around its first word matching ``terms`` (the core's site
    search escapes and highlights it)."""
    plain = plain_text(body)
    spans = matching_spans(plain, " ".join(terms), first=True) if terms else []
    start = max(0, (spans[0][0] if spans else 0) - width // 3)
    return ("…" if start else "") + plain[start : start + width]


# --- search index maintenance -------------------------------------------------------------


def reindex() -> int:
    """Recompute ``search_text`` of every topic and post (after a change of the normaliser);
    on SQLite refill the FTS5 table too. Returns the number of rows whose text changed."""
    changed = 0
    for table, source in ((ForumTopic.__table__, "title"), (ForumPost.__table__, "body")):
        update = (
            table.update()
            .where(table.c.id == bindparam("row_id"))
            .values(search_text=bindparam("text"))
        )
        rows = db.session.execute(select(table.c.id, table.c[source], table.c.search_text))
        batch = []
        for row_id, value, stored in rows.all():
            fresh = normalise(value or "")
            if fresh != stored:
                batch.append({"row_id": row_id, "text": fresh})
        for i in range(0, len(batch), 500):
            db.session.execute(update, batch[i : i + 500])
        changed += len(batch)
    if db.session.get_bind().dialect.name == "sqlite":
        for stmt in SQLITE_FTS_REBUILD:
            db.session.execute(text(stmt))
    db.session.commit()
    return changed


# --- cooked posts (see the models' docstring) ---------------------------------------------


def cooked(post: ForumPost) -> Markup:
    """The post's sanitised HTML: as stored when it was written (the renderer's version),
    else rendered now (a row older than the renderer, until ``qauym forum recook``)."""
    if post.cooked_version == markdown.VERSION:
        return Markup(post.body_html)  # noqa: S704 - sanitised by markdown.render when stored
    return markdown.render(post.body)


def cooked_pending(post: ForumPost) -> Markup:
    if post.pending_html is not None and post.cooked_version == markdown.VERSION:
        return Markup(post.pending_html)  # noqa: S704 - sanitised by markdown.render when stored
    return markdown.render(post.pending_body or "")


def recook(*, all_rows: bool = False, batch: int = 500) -> int:
    """Render again the posts cooked by an older renderer (every post with ``all_rows``, after
    a change of ``BASE_URL`` or of the sanitiser that did not raise ``markdown.VERSION``),
    in batches by id. Returns the number of posts written."""
    table = ForumPost.__table__
    update = (
        table.update()
        .where(table.c.id == bindparam("row_id"))
        .values(
            body_html=bindparam("html"),
            pending_html=bindparam("pending"),
            cooked_version=markdown.VERSION,
        )
    )
    done, last = 0, 0
    while True:
        stmt = select(table.c.id, table.c.body, table.c.pending_body).where(table.c.id > last)
        if not all_rows:
            stmt = stmt.where(table.c.cooked_version != markdown.VERSION)
        rows = db.session.execute(stmt.order_by(table.c.id).limit(batch)).all()
        if not rows:
            break
        db.session.execute(
            update,
            [
                {
                    "row_id": r.id,
                    "html": str(markdown.render(r.body or "")),
                    "pending": None
                    if r.pending_body is None
                    else str(markdown.render(r.pending_body)),
                }
                for r in rows
            ],
        )
        db.session.commit()
        done += len(rows)
        last = rows[-1].id
    return done
