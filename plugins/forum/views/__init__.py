"""The forum's pages, split by what they do: boards (lists, boards, feeds), topics (new topic,
the topic page, watching), posts (replies, edits, history, deleting, accepted answers, flags),
votes (polls, reactions), moderation (the queue, flags, bans, the log), misc (search,
attachments, settings).
"""

from __future__ import annotations

from plugins.forum.views import (  # noqa: F401 - importing registers the routes
    boards,
    drafts,
    mailing,
    mentions,
    messages,
    misc,
    moderation,
    posts,
    tags,
    topics,
    votes,
)
from plugins.forum.views.common import bp

__all__ = ["bp"]
