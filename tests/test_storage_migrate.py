"""``qauym storage migrate --to s3|local``: the files of the upload folder are copied into a
bucket of a real S3-speaking server (moto's standalone server on loopback) and back, under the
same keys, so the rows that name them keep working; a second run copies nothing, an
interrupted or damaged copy is redone, and the source is never deleted."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from core.cli import main
from core.services import storage

FILES = {
    "forum/0a1b.pdf": b"%PDF-1.4\n" + b"lesson plan " * 500,
    "expertise/2c3d.docx": b"PK\x03\x04" + bytes(range(256)) * 40,
    "masterclasses/4e5f.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000,
}


def run(app, *args: str):
    return app.test_cli_runner().invoke(main, list(args))


@pytest.fixture
def settings(s3_server, tmp_path):
    folder = tmp_path / "old-uploads"
    for key, data in FILES.items():
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(data)
    bucket = f"migrate-{uuid.uuid4().hex[:16]}"
    return {"UPLOAD_FOLDER": str(folder), **s3_server.config(bucket, prefix="site")}


def bucket_files(s3_server, config) -> dict[str, bytes]:
    bucket = config["STORAGE_URL"][len("s3://") :].split("/")[0]
    s3 = s3_server.client()
    found = {}
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        found[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return found


def test_folder_to_bucket_and_back_resumable_and_lossless(make_app, settings, s3_server, tmp_path):
    app = make_app(plugins="none", **settings)
    with app.app_context():
        result = run(app, "storage", "migrate", "--to", "s3")
        assert result.exit_code == 0, result.output
        assert "3 copied, 0 already there, 0 failed" in result.output
        assert bucket_files(s3_server, settings) == {f"site/{k}": v for k, v in FILES.items()}
        # The source is kept.
        folder = Path(settings["UPLOAD_FOLDER"])
        assert {k: (folder / k).read_bytes() for k in FILES} == FILES

        again = run(app, "storage", "migrate", "--to", "s3")
        assert "0 copied, 3 already there, 0 failed" in again.output

        # An interrupted run left one file out and another one damaged (same size).
        s3 = app.extensions["qauym_storage"].client
        bucket = app.extensions["qauym_storage"].bucket
        s3.delete_object(Bucket=bucket, Key="site/forum/0a1b.pdf")
        damaged = b"X" * len(FILES["expertise/2c3d.docx"])
        s3.put_object(
            Bucket=bucket,
            Key="site/expertise/2c3d.docx",
            Body=damaged,
            Metadata={"sha256": hashlib.sha256(damaged).hexdigest()},
        )
        resumed = run(app, "storage", "migrate", "--to", "s3")
        assert "2 copied, 1 already there, 0 failed" in resumed.output
        assert bucket_files(s3_server, settings) == {f"site/{k}": v for k, v in FILES.items()}

        # The app now reads the files from the bucket under the same keys.
        backend = app.extensions["qauym_storage"]
        assert isinstance(backend, storage.S3Storage)
        with backend.open("forum/0a1b.pdf") as fh:
            assert fh.read() == FILES["forum/0a1b.pdf"]

    back = make_app(plugins="none", **{**settings, "UPLOAD_FOLDER": str(tmp_path / "new")})
    with back.app_context():
        result = run(back, "storage", "migrate", "--to", "local")
        assert result.exit_code == 0, result.output
        assert "3 copied, 0 already there, 0 failed" in result.output
        new = tmp_path / "new"
        assert {k: (new / k).read_bytes() for k in FILES} == FILES
        assert len(bucket_files(s3_server, settings)) == 3  # the bucket is kept too
        twice = run(back, "storage", "migrate", "--to", "local")
        assert "0 copied, 3 already there" in twice.output


def test_migrate_needs_an_s3_storage_url(make_app, tmp_path):
    app = make_app(plugins="none")
    with app.app_context():
        result = run(app, "storage", "migrate", "--to", "s3")
        assert result.exit_code != 0
        assert "STORAGE_URL must be s3://bucket/prefix" in result.output


def test_a_copy_that_reads_back_wrong_is_reported_and_fails(make_app, settings, monkeypatch):
    app = make_app(plugins="none", **settings)
    with app.app_context():
        monkeypatch.setattr(storage.S3Storage, "read_sha256", lambda self, key: "0" * 64)
        result = run(app, "storage", "migrate", "--to", "s3")
        assert result.exit_code == 1
        assert "0 copied, 0 already there, 3 failed" in result.output
