"""Tags on topics: up to :data:`MAX_TAGS` free words per topic, normalised (lower case, only
letters, digits, ``-`` and ``_``), listed per association (``/forum/a/<slug>/tag/<tag>``).

A topic keeps its tags twice: ``ForumTopic.tags`` (space-separated, read with the topic, so
the topic page and the lists need no query of their own) and one ``ForumTopicTag`` row each
(indexed by association and tag, for the list of topics with a tag). :func:`set_tags`
writes both.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from core.api import db
from plugins.forum.models import ForumTopic, ForumTopicTag

MAX_TAGS = 5
MAX_LENGTH = 30
_SPLIT = re.compile(r"[\s,;#]+")
_DROP = re.compile(r"[^\w\-]+", re.UNICODE)


def normalise(word: str) -> str:
    """``#Алгебра!`` → ``алгебра``; ``""`` when nothing is left."""
    text = _DROP.sub("", (word or "").lower().replace("ё", "е"))
    return text.strip("-_")[:MAX_LENGTH].strip("-_")


def parse(text: str) -> list[str]:
    """The distinct tags of a typed text (commas, spaces or ``#`` between them), in order."""
    seen: list[str] = []
    for word in _SPLIT.split(text or ""):
        tag = normalise(word)
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def problem(text: str):
    """What is wrong with typed tags (a lazy translated message), or None."""
    if len(parse(text)) > MAX_TAGS:
        return _l("At most %(n)d tags.", n=MAX_TAGS)
    return None


def set_tags(topic: ForumTopic, tags: list[str]) -> None:
    """Give ``topic`` these tags (at most :data:`MAX_TAGS`), replacing the old ones."""
    tags = tags[:MAX_TAGS]
    db.session.flush()  # the topic has its id
    db.session.execute(delete(ForumTopicTag).where(ForumTopicTag.topic_id == topic.id))
    db.session.add_all(
        ForumTopicTag(topic_id=topic.id, tag=t, association_id=topic.association_id) for t in tags
    )
    topic.tags = " ".join(tags)
