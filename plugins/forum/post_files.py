"""A post's attached files, the same checks for the web forms (new topic, reply) and for
replies by email: at most :data:`MAX_FILES` files, each stored through ``uploads.save`` (type
decided by the content, among documents and images; the size limit ``MAX_UPLOAD_MB``).

The web form refuses the whole post when one file fails (the writer is there to fix it); a
reply by email keeps the files that pass and names the others in the answer mail
(:func:`store_each`), since the writer is not there to try again.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from core.api import db, uploads
from plugins.forum.models import ForumAttachment, ForumPost

MAX_FILES = 5
SUBDIR = "forum"


def save(file: Any) -> uploads.StoredFile:
    """Check and store one file (a ``FileStorage``); raises ``uploads.UploadError``."""
    return uploads.save(file, subdir=SUBDIR)


def discard(stored: list[uploads.StoredFile]) -> None:
    for s in stored:
        uploads.delete(s.path)


def store_each(files: list[Any]) -> tuple[list[uploads.StoredFile], list[tuple[str, Any]]]:
    """Store the first :data:`MAX_FILES` files that pass the checks; return them and the
    ``(name, reason)`` of the others (reasons are lazy strings, for the writer's language)."""
    stored: list[uploads.StoredFile] = []
    refused: list[tuple[str, Any]] = []
    for f in files:
        name = uploads.safe_display_name(f.filename or "")
        if len(stored) >= MAX_FILES:
            refused.append((name, _l("A message takes at most %(n)s files.", n=MAX_FILES)))
            continue
        try:
            stored.append(save(f))
        except uploads.UploadError as exc:
            refused.append((name, exc.args[0] if exc.args else str(exc)))
    return stored, refused


def attach(post: ForumPost, stored: list[uploads.StoredFile]) -> None:
    for s in stored:
        db.session.add(
            ForumAttachment(
                post=post,
                path=s.path,
                original_name=s.original_name,
                kind=s.kind,
                mime=s.mime,
                size=s.size,
            )
        )
