"""What the forum's page modules share: the blueprint, lookups with permission checks, page
helpers.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from types import SimpleNamespace

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from core.api import (
    User,
    date_arg,
    db,
    page_arg,
    paginate,
    permissions,
    plugin_gate,
    safe_next,
    uploads,
    utcnow,
)
from plugins.forum import post_files
from plugins.forum import services as svc
from plugins.forum.forms import (
    BoardForm,
    PostForm,
)
from plugins.forum.models import (
    ForumBoard,
    ForumPoll,
    ForumPollVote,
    ForumPost,
    ForumTopic,
)

# The blueprint's folders are the plugin package's, one level above this views package.
bp = Blueprint(
    "forum",
    __name__,
    root_path=str(Path(__file__).resolve().parent.parent),
    template_folder="templates",
    static_folder="static",
)


P = svc.PLUGIN


@bp.context_processor
def _forum_context() -> dict:
    return {"forum_new_since": utcnow() - svc.NEW_WINDOW}


def _board_or_404(board_id: int) -> ForumBoard:
    board = db.session.get(ForumBoard, board_id)
    if board is None:
        abort(404)
    plugin_gate.abort_unless_enabled(P, board.association)
    permissions.require("forum.read", board)
    return board


def _topic_or_404(topic_id: int) -> tuple[ForumTopic, bool]:
    topic = db.session.get(ForumTopic, topic_id)
    if topic is None:
        abort(404)
    plugin_gate.abort_unless_enabled(P, topic.board.association)
    if topic.merged_into_id and request.method == "GET":  # merged: its address leads there
        abort(redirect(url_for("forum.topic", topic_id=topic.merged_into_id), code=301))
    if not svc.is_addressee(current_user, topic):  # the addressee reads their question
        permissions.require("forum.read", topic.board)
    moderator = svc.moderates_board(current_user, topic.board)
    own = current_user.is_authenticated and topic.author_id == current_user.id
    if not moderator and (
        topic.deleted_at is not None or topic.hidden or (not topic.approved and not own)
    ):
        abort(404)
    return topic, moderator


def _post_or_404(post_id: int) -> tuple[ForumPost, bool]:
    post = db.session.get(ForumPost, post_id)
    if post is None:
        abort(404)
    topic, moderator = _topic_or_404(post.topic_id)
    if not svc.post_visible_to(current_user, post, moderator):
        abort(404)
    return post, moderator


def _back(default: str) -> str:
    return safe_next(request.form.get("next"), default)


def _page() -> int:
    return page_arg()


#: An id no real row has, inside the ``<id:...>`` bounds: URLs are built once per page with it
#: and the id put in by string replacement (see :func:`_url_maker`).
_MARK = 4_611_686_018_427_387_903


def _url_maker(endpoint: str, key: str = "post_id", **fixed):
    """``id -> url_for(endpoint, key=id, **fixed)``, building the URL once.

    The issue measured 138 ``url_for`` calls per topic page (seven per post); one call per
    kind of link and a string replacement per post gives the same URLs for a fraction.
    """
    base, mark = url_for(endpoint, **{key: _MARK}, **fixed), str(_MARK)
    return lambda value: base.replace(mark, str(value), 1)


def _topic_rows(topics: list[ForumTopic], read: dict[int, int]) -> list[SimpleNamespace]:
    """What a topic list shows per topic, computed once per page: the reader (``current_user``
    read once, not twice per row), links from :func:`_url_maker` (one ``url_for`` per kind of
    link, not per row), unread and new marks. The template used to do all this per row."""
    auth = current_user.is_authenticated
    new_since = utcnow() - svc.NEW_WINDOW
    topic_url = _url_maker("forum.topic", key="topic_id")
    unread_url = _url_maker("forum.topic_unread", key="topic_id")
    board_url = _url_maker("forum.board", key="board_id")
    tag_urls: dict[tuple[int, str], str] = {}  # tags repeat; their names need URL quoting

    def tag_url(t: ForumTopic, name: str) -> str:
        key = (t.board_id, name)
        if key not in tag_urls:
            tag_urls[key] = url_for("forum.tag", slug=t.board.association.slug, tag=name)
        return tag_urls[key]

    rows = []
    for t in topics:
        last = read.get(t.id) if auth else None
        unread = last is not None and t.visible_number > last
        # A namespace: the template reads ``row.x`` by attribute (see topics._post_views).
        rows.append(
            SimpleNamespace(
                t=t,
                url=topic_url(t.id),
                unread=unread,
                new_posts=t.visible_number - last if unread else 0,
                unread_url=unread_url(t.id) if unread else None,
                new=auth and last is None and t.last_post_at >= new_since,
                tags=[(name, tag_url(t, name)) for name in t.tag_list],
                board_url=board_url(t.board_id),
            )
        )
    return rows


def _topic_list_options():
    """The loader options of a topic list (see :func:`_topic_list`)."""
    # Of the accounts only the names the list shows (whole accounts cost twice as much),
    # joined by key into the page's statement: two selectin statements took 5 ms of a 20 ms
    # board page at the national scale.
    return (
        joinedload(ForumTopic.author).load_only(User.id, User.full_name),
        joinedload(ForumTopic.last_poster).load_only(User.id, User.full_name),
    )


def _topic_list(stmt, page: int, per_page: int = svc.TOPICS_PER_PAGE, params=None):
    """One page of topics (a page past the last one is the last one): rows for the
    ``topic_list`` macro (:func:`_topic_rows`), page, pages, and the reader's unread
    numbers. ``stmt`` is a ``select`` of topics, or a ``page_query`` of one built once with
    :func:`_topic_list_options` (its values in ``params``)."""
    result = paginate(stmt, page, per_page, options=_topic_list_options(), params=params)
    read = svc.unread_numbers(current_user, [t.id for t in result.items])
    return _topic_rows(result.items, read), result.page, result.pages, read


def _fill_board(board: ForumBoard, form: BoardForm) -> None:
    board.name = form.name.data.strip()
    board.description = (form.description.data or "").strip()
    board.visibility = form.visibility.data
    board.premoderate = form.premoderate.data
    board.moderate_first_posts = form.moderate_first_posts.data or 0
    board.allow_anonymous = form.allow_anonymous.data
    board.officials = form.officials.data


def _save_files(form) -> list[uploads.StoredFile] | None:
    """Store the uploaded files, or put the error on the field and store nothing (the checks
    replies by email share: :mod:`plugins.forum.post_files`)."""
    files = [f for f in (form.attachments.data or []) if f and f.filename]
    stored: list[uploads.StoredFile] = []
    if len(files) > post_files.MAX_FILES:
        form.attachments.errors = [_("Attach at most %(n)s files.", n=post_files.MAX_FILES)]
        return None
    for f in files:
        try:
            stored.append(post_files.save(f))
        except uploads.UploadError as exc:
            post_files.discard(stored)
            form.attachments.errors = [f"{f.filename}: {exc}"]
            return None
    return stored


_attach = post_files.attach


def _post_form(board: ForumBoard) -> PostForm:
    form = PostForm()
    if not board.allow_anonymous:
        del form.anonymous
    return form


def _quote(post: ForumPost, moderator: bool) -> str:
    who = svc.author_label(None, post, False).name
    lines = (post.body or "").strip().splitlines() or [""]
    link = url_for("forum.permalink", post_id=post.id)
    wrote = _("wrote")
    return f"> **{who}** [{wrote}]({link}):\n" + "\n".join(f"> {x}" for x in lines) + "\n\n"


@functools.cache
def _poll_statement():
    """A topic's poll with its options (``topic_id`` bound): built once, as every topic page
    asks it whether or not the topic has a poll."""
    return (
        select(ForumPoll)
        .where(ForumPoll.topic_id == bindparam("topic_id"))
        .options(selectinload(ForumPoll.options))
    )


def _poll_view(topic: ForumTopic) -> dict | None:
    poll = db.session.scalar(_poll_statement(), {"topic_id": topic.id})
    if poll is None:
        return None
    counts = dict(
        db.session.execute(
            select(ForumPollVote.option_id, func.count())
            .where(ForumPollVote.poll_id == poll.id)
            .group_by(ForumPollVote.option_id)
        ).all()
    )
    voted: set[int] = set()
    if current_user.is_authenticated:
        voted = set(
            db.session.scalars(
                select(ForumPollVote.option_id).where(
                    ForumPollVote.poll_id == poll.id, ForumPollVote.user_id == current_user.id
                )
            )
        )
    voters = db.session.scalar(
        select(func.count(func.distinct(ForumPollVote.user_id))).where(
            ForumPollVote.poll_id == poll.id
        )
    )
    closed = poll.closed(utcnow())
    return {
        "poll": poll,
        "counts": counts,
        "voted": voted,
        "voters": voters or 0,
        "closed": closed,
        "show_results": closed or bool(voted),
        "total": sum(counts.values()) or 0,
    }


def _post_url(post: ForumPost, moderator: bool) -> str:
    page = svc.page_of_post(post.topic, post)
    args = {"page": page} if page > 1 else {}
    return url_for("forum.topic", topic_id=post.topic_id, **args) + f"#p{post.id}"


def _day_arg(name: str) -> dt.datetime | None:
    """A ``YYYY-MM-DD`` query argument as midnight of that day, else None. Any year up to
    9998 is a fair search bound (the day after it, for ``until``, must still exist)."""
    day = date_arg(name, lo=dt.date(1, 1, 1), hi=dt.date(9998, 12, 31))
    return dt.datetime.combine(day, dt.time()) if day else None
