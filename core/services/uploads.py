"""Uploaded files: type checked by content, size-limited, stored outside static/ under random
names, served only through views that check permissions first.

Files are kept by the storage backend of :mod:`core.services.storage` (a local folder, or an
S3-compatible bucket with ``QAUYM_STORAGE_URL``); plugins only ever call :func:`save`,
:func:`serve` and :func:`delete`, whatever the backend."""

from __future__ import annotations

import contextlib
import re
import secrets
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import abort, current_app, send_file
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from core.services import storage

#: extension -> MIME type, for the kinds Qauym accepts.
KINDS: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
IMAGES = ("png", "jpg", "gif", "webp")
DOCUMENTS = ("pdf", "docx", "pptx", "xlsx", "odt")


class UploadError(ValueError):
    """A refused upload; ``str(exc)`` is a message for the user (already translated)."""


@dataclass(frozen=True)
class StoredFile:
    path: str  # the storage key: relative to UPLOAD_FOLDER, or to the bucket's prefix
    original_name: str
    kind: str  # extension from KINDS
    mime: str
    size: int


def _sniff(head: bytes, data) -> str | None:
    """The real kind of a file from its bytes (``data``: a path or a seekable file), or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(data) as zf:
                names = set(zf.namelist())
                if "mimetype" in names:
                    mt = zf.read("mimetype").decode("ascii", "replace").strip()
                    if mt == KINDS["odt"]:
                        return "odt"
                if "[Content_Types].xml" in names:
                    if any(n.startswith("word/") for n in names):
                        return "docx"
                    if any(n.startswith("ppt/") for n in names):
                        return "pptx"
                    if any(n.startswith("xl/") for n in names):
                        return "xlsx"
        except zipfile.BadZipFile:
            return None
        return None
    guess = filetype.guess(head)
    if guess is not None and guess.extension in ("png", "jpg", "gif", "webp"):
        return guess.extension
    return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f\"<>|:*?]")


def safe_display_name(name: str, kind: str | None = None) -> str:
    """The file's own name, fit for display and a download header.

    Any folder part, control characters and characters Windows forbids are dropped. With
    ``kind``, the extension is made to match the file's real type, so a PNG uploaded as
    ``photo.pdf`` downloads as ``photo.png`` and never opens in the wrong program.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _CONTROL.sub("", base).strip().strip(".").strip()
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    matches = kind is None or ext.lower() == kind or (kind == "jpg" and ext.lower() == "jpeg")
    if not matches:
        stem = base if ext.lower() not in KINDS else stem
        ext = kind
    stem = stem[:150] or "file"
    return f"{stem}.{ext}" if ext else stem


def save(
    file: FileStorage, *, subdir: str, allowed: tuple[str, ...] = DOCUMENTS + IMAGES
) -> StoredFile:
    """Check and store an upload; raise :class:`UploadError` with a user-facing message.

    The type is decided by the content, never by the name; the file is stored by the storage
    backend under the key ``subdir/<random>.<kind>`` (in ``UPLOAD_FOLDER`` or the bucket), and
    nothing is left behind when it is refused.
    ``subdir`` is chosen by the caller's code (e.g. ``"forum"``), never by the user.
    """
    if file is None or not file.filename:
        raise UploadError(_l("Choose a file."))
    raw_name = file.filename
    if "/" in raw_name or "\\" in raw_name or raw_name.startswith(".") or ".." in raw_name:
        raise UploadError(_l("The file name must not contain a folder path."))
    if not subdir or ".." in subdir or subdir.startswith(("/", "\\")):
        raise ValueError(f"bad upload subdir {subdir!r}")
    limit = int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
    token = secrets.token_hex(16)
    # The upload is checked in a private temporary file (never reachable by a URL), and only
    # an accepted file reaches the storage backend.
    with tempfile.TemporaryFile(prefix="qauym-upload-") as tmp:
        size = 0
        while chunk := file.stream.read(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise UploadError(
                    _l(
                        "The file is larger than %(mb)s MB.",
                        mb=current_app.config["MAX_UPLOAD_MB"],
                    )
                )
            tmp.write(chunk)
        if size == 0:
            raise UploadError(_l("The file is empty."))
        tmp.seek(0)
        head = tmp.read(262)
        tmp.seek(0)
        kind = _sniff(head, tmp)
        if kind is None or kind not in allowed:
            raise UploadError(
                _l(
                    "This type of file is not accepted. Accepted: %(kinds)s.",
                    kinds=", ".join(k.upper() for k in allowed),
                )
            )
        key = f"{subdir}/{token}.{kind}"
        tmp.seek(0)
        storage.backend().put(key, tmp, content_type=KINDS[kind])
    return StoredFile(
        path=key,
        original_name=safe_display_name(raw_name),
        kind=kind,
        mime=KINDS[kind],
        size=size,
    )


def absolute_path(stored_path: str) -> Path:
    """The file's path on this server's disk (local storage only)."""
    backend = storage.backend()
    if not isinstance(backend, storage.LocalStorage):
        raise UploadError("files are not kept on this server's disk")
    try:
        return backend.path(stored_path)
    except storage.StorageError as exc:
        raise UploadError("bad path") from exc


def serve(stored_path: str, *, download_name: str, mime: str, inline: bool = False):
    """A response with the file; the caller has checked the user may read it.

    Files are sent as attachments (images may be shown ``inline``) with ``nosniff`` and a
    sandboxing CSP, so an uploaded file can never run as a page of the site. The download
    name loses any folder part and gets the extension of the file's real type. From S3 the
    bytes are streamed through the app with the same headers (see :mod:`core.services.storage`
    for why there is no redirect to the bucket). A file missing from the storage is a 404.
    """
    backend = storage.backend()
    try:
        storage.check_key(stored_path)
    except storage.StorageError as exc:
        raise UploadError("bad path") from exc
    kind = stored_path.rsplit(".", 1)[-1].lower() if "." in stored_path else ""
    options = {
        "mimetype": mime,
        "as_attachment": not (inline and mime.startswith("image/")),
        "download_name": safe_display_name(download_name, kind if kind in KINDS else None),
        "max_age": 0,
    }
    if isinstance(backend, storage.LocalStorage):
        path = absolute_path(stored_path)
        if not path.is_file():
            abort(404)
        resp = send_file(path, **options)
    else:
        size = backend.size(stored_path)
        if size is None:
            abort(404)
        resp = send_file(_S3Body(backend, stored_path), conditional=False, **options)
        resp.content_length = size
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


class _S3Body:
    """The object's body as a file for ``send_file``: read in chunks while the response is sent,
    closed (its connection given back) when the server is done with the response."""

    def __init__(self, backend, key: str) -> None:
        self._cm = backend.open(key)
        self._body = self._cm.__enter__()

    def read(self, size: int = -1) -> bytes:
        return self._body.read(size if size and size > 0 else None)

    def close(self) -> None:
        self._cm.__exit__(None, None, None)


def delete(stored_path: str) -> None:
    with contextlib.suppress(UploadError, storage.StorageError):
        storage.check_key(stored_path)
        storage.backend().delete(stored_path)
