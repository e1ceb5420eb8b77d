"""Where uploaded files live: one small interface, two backends.

* :class:`LocalStorage` (default): files under ``UPLOAD_FOLDER`` on this server's disk. With
  several application servers the folder must be shared (NFS and the like), or use S3.
* :class:`S3Storage`: an S3-compatible bucket (AWS, MinIO, Ceph, a cloud provider's object
  storage), chosen by ``QAUYM_STORAGE_URL=s3://bucket/prefix`` with ``QAUYM_S3_ENDPOINT_URL``,
  ``QAUYM_S3_ACCESS_KEY``, ``QAUYM_S3_SECRET_KEY`` and ``QAUYM_S3_REGION``.

A file is named by its *key*, the ``StoredFile.path`` that plugins keep in their rows
(``forum/<random>.pdf``); the same key is used in both backends, so ``qauym storage migrate``
moves files without touching the database. Keys are made by :mod:`core.services.uploads`,
never by users, and are checked here anyway (no ``..``, no leading ``/``).

Downloads from S3 are **streamed through the application** rather than redirected to a
presigned URL: the view's permission check, ``Content-Disposition: attachment``, ``nosniff``,
the sandbox CSP and ``Cache-Control: private, no-store`` then hold for every backend exactly as
for local files, no link that works without a session is ever handed out (a presigned URL
would keep working for anyone it is forwarded to until it expires), and the bucket needs no
public endpoint at all: only the application servers talk to it. The cost is a worker busy
while a file (at most ``MAX_UPLOAD_MB``) is sent, which is small for Qauym's documents.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

from flask import current_app

CHUNK = 64 * 1024


class StorageError(ValueError):
    """A bad key, or a misconfigured backend."""


def check_key(key: str) -> str:
    parts = key.replace("\\", "/").split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise StorageError(f"bad storage key {key!r}")
    return "/".join(parts)


def sha256_of(fh: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


class LocalStorage:
    """Files in a folder: ``<root>/<key>``. Writes go to ``<key>.part`` first, then are renamed,
    so a reader never sees half a file."""

    name = "local"

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        root = self.root.resolve()
        path = (root / check_key(key)).resolve()
        if root not in path.parents:
            raise StorageError(f"bad storage key {key!r}")
        return path

    def put(self, key: str, fh: IO[bytes], *, content_type: str = "") -> None:
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(final.name + ".part")
        try:
            with open(tmp, "wb") as out:
                shutil.copyfileobj(fh, out, CHUNK)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[IO[bytes]]:
        with open(self.path(key), "rb") as fh:
            yield fh

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def sha256(self, key: str) -> str | None:
        try:
            with self.open(key) as fh:
                return sha256_of(fh)
        except FileNotFoundError:
            return None

    def read_sha256(self, key: str) -> str:
        with self.open(key) as fh:
            return sha256_of(fh)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def list(self) -> Iterator[StoredObject]:
        if not self.root.exists():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.endswith(".part"):
                yield StoredObject(path.relative_to(self.root).as_posix(), path.stat().st_size)


class S3Storage:
    """Objects ``<prefix>/<key>`` in one bucket. Each object carries its SHA-256 in the
    ``sha256`` metadata field, written on upload, so a migration can compare files without
    downloading them twice."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str = "",
        access_key: str = "",
        secret_key: str = "",
        region: str = "",
    ) -> None:
        # boto3 is imported only where S3 is used: it takes a noticeable time to load.
        import boto3
        from botocore.config import Config  # with boto3

        if not bucket:
            raise StorageError("STORAGE_URL names no bucket (s3://bucket/prefix)")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            region_name=region or None,
            # Path-style addressing works with every S3-compatible server (MinIO, Ceph, ...).
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )

    @classmethod
    def from_config(cls, config: Any) -> S3Storage:
        url = urlparse(str(config.get("STORAGE_URL") or ""))
        if url.scheme != "s3":
            raise StorageError("STORAGE_URL must be s3://bucket/prefix for S3 storage")
        return cls(
            url.netloc,
            url.path,
            endpoint_url=config.get("S3_ENDPOINT_URL") or "",
            access_key=config.get("S3_ACCESS_KEY") or "",
            secret_key=config.get("S3_SECRET_KEY") or "",
            region=config.get("S3_REGION") or "",
        )

    def object_name(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, fh: IO[bytes], *, content_type: str = "") -> None:
        start = fh.tell()
        digest = sha256_of(fh)
        fh.seek(start)
        extra: dict[str, Any] = {"Metadata": {"sha256": digest}}
        if content_type:
            extra["ContentType"] = content_type
        self.client.upload_fileobj(fh, self.bucket, self.object_name(key), ExtraArgs=extra)

    @contextlib.contextmanager
    def open(self, key: str) -> Iterator[IO[bytes]]:
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.object_name(key))
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc
        body = obj["Body"]
        try:
            yield body
        finally:
            body.close()

    def _head(self, key: str) -> dict | None:
        # Only with S3 storage, like boto3 above.
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def size(self, key: str) -> int | None:
        head = self._head(key)
        return None if head is None else int(head["ContentLength"])

    def sha256(self, key: str) -> str | None:
        """The SHA-256 stored with the object, or computed from its bytes when absent."""
        head = self._head(key)
        if head is None:
            return None
        stored = (head.get("Metadata") or {}).get("sha256")
        if stored:
            return stored
        with self.open(key) as fh:
            return sha256_of(fh)

    def read_sha256(self, key: str) -> str:
        """The SHA-256 of the bytes the bucket really gives back (what a migration checks)."""
        with self.open(key) as fh:
            return sha256_of(fh)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_name(key))

    def list(self) -> Iterator[StoredObject]:
        lead = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=lead
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield StoredObject(item["Key"][len(lead) :], int(item["Size"]))


Storage = LocalStorage | S3Storage


@dataclass
class MigrationReport:
    copied: list[str]
    skipped: list[str]
    failed: list[str]


def migrate(source: Storage, dest: Storage, echo=lambda line: None) -> MigrationReport:
    """Copy every file of ``source`` to ``dest``, under the same key.

    Resumable: a file already in ``dest`` with the same size and SHA-256 is skipped, so an
    interrupted run is simply started again. Losing nothing: each copy is read back from
    ``dest`` and its SHA-256 compared with the bytes read from ``source``; a mismatch is
    reported as failed. The source is **never deleted**: once the site runs on the new
    backend and a backup of it exists, the deployer removes the old folder or bucket.
    """
    report = MigrationReport([], [], [])
    for obj in source.list():
        key = obj.key
        try:
            if dest.size(key) == obj.size and dest.sha256(key) == source.sha256(key):
                report.skipped.append(key)
                continue
            with tempfile.TemporaryFile(prefix="qauym-migrate-") as tmp:
                with source.open(key) as fh:
                    digest = hashlib.sha256()
                    while chunk := fh.read(CHUNK):
                        digest.update(chunk)
                        tmp.write(chunk)
                tmp.seek(0)
                dest.put(key, tmp)
            if dest.read_sha256(key) != digest.hexdigest():
                raise StorageError("the copy read back differs from the source")
            report.copied.append(key)
            echo(f"copied {key}")
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            report.failed.append(key)
            echo(f"FAILED {key}: {exc}")
    return report


def local_storage(config: Any | None = None) -> LocalStorage:
    config = current_app.config if config is None else config
    return LocalStorage(config["UPLOAD_FOLDER"])


def from_config(config: Any) -> Storage:
    """The backend ``STORAGE_URL`` chooses: empty or ``local`` (``UPLOAD_FOLDER``), or
    ``s3://bucket/prefix``."""
    url = str(config.get("STORAGE_URL") or "").strip()
    if url in ("", "local"):
        return local_storage(config)
    if url.startswith("s3://"):
        return S3Storage.from_config(config)
    raise StorageError(f"unknown STORAGE_URL {url!r}: use s3://bucket/prefix or leave it empty")


def backend() -> Storage:
    """This app's storage backend, built once per app (boto3 clients are thread-safe)."""
    app = current_app._get_current_object()
    found = app.extensions.get("qauym_storage")
    if found is None:
        found = app.extensions["qauym_storage"] = from_config(app.config)
    return found
