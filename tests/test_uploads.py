"""Uploads through a test-only route: real documents and images are accepted by content;
disguised executables, oversized, empty and path-named files are refused with a clear message
and leave nothing stored; ``serve`` sends nosniff and a safe download name. Every test runs
twice: with files in the local folder, and in a bucket of a real S3-speaking server (moto's
standalone server on loopback)."""

import io
import struct
import uuid
import zipfile
import zlib
from pathlib import Path

import pytest
from flask import Blueprint, abort, jsonify, request
from fpdf import FPDF

from core.services import storage, uploads

test_bp = Blueprint("upload_test", __name__)


@test_bp.post("/_test/upload")
def upload():
    try:
        stored = uploads.save(request.files.get("file"), subdir="test")
    except uploads.UploadError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(path=stored.path, kind=stored.kind, name=stored.original_name, size=stored.size)


@test_bp.get("/_test/file")
def download():
    try:
        return uploads.serve(
            request.args["path"],
            download_name=request.args["name"],
            mime=request.args["mime"],
            inline=request.args.get("inline") == "1",
        )
    except uploads.UploadError:
        abort(404)


def storage_settings(request, backend: str) -> dict:
    """Settings for ``backend``: the local folder (the default), or a fresh bucket."""
    if backend == "local":
        return {}
    s3_server = request.getfixturevalue("s3_server")
    return s3_server.config(f"qauym-{uuid.uuid4().hex[:16]}")


@pytest.fixture(params=["local", "s3"])
def app(make_app, request):
    app = make_app(plugins="", MAX_UPLOAD_MB=1, **storage_settings(request, request.param))
    app.register_blueprint(test_bp)
    with app.app_context():
        yield app


def stored_files(app) -> list[tuple[str, bytes]]:
    """(key, bytes) of every file the app's storage backend holds."""
    backend = app.extensions["qauym_storage"]
    out = []
    for obj in backend.list():
        with backend.open(obj.key) as fh:
            out.append((obj.key, fh.read()))
    return out


def zip_bytes(files: dict[str, str], stored_first: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if stored_first:  # ODF wants an uncompressed "mimetype" as the first entry
            zf.writestr(zipfile.ZipInfo("mimetype"), stored_first, zipfile.ZIP_STORED)
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Lesson plan")
    return bytes(pdf.output())


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


CT = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'

REAL_FILES = {
    "pdf": ("Сабақ жоспары.pdf", pdf_bytes),
    "docx": (
        "plan.docx",
        lambda: zip_bytes({"[Content_Types].xml": CT, "word/document.xml": "<w/>"}),
    ),
    "pptx": (
        "slides.pptx",
        lambda: zip_bytes({"[Content_Types].xml": CT, "ppt/presentation.xml": "<p/>"}),
    ),
    "xlsx": (
        "marks.xlsx",
        lambda: zip_bytes({"[Content_Types].xml": CT, "xl/workbook.xml": "<x/>"}),
    ),
    "odt": (
        "notes.odt",
        lambda: zip_bytes(
            {"content.xml": "<office:document-content/>", "META-INF/manifest.xml": "<m/>"},
            stored_first="application/vnd.oasis.opendocument.text",
        ),
    ),
    "png": ("photo.png", png_bytes),
}


def send(client, post, name: str, data: bytes):
    return post(
        client,
        "/_test/upload",
        {"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def s3_client(request):
    """A client of the test's S3 server of its own (not the app's)."""
    return request.getfixturevalue("s3_server").client()


@pytest.mark.parametrize("kind", list(REAL_FILES))
def test_real_documents_and_images_are_accepted(app, client, post, kind, request):
    name, build = REAL_FILES[kind]
    data = build()

    resp = send(client, post, name, data)

    assert resp.status_code == 200, resp.get_json()
    got = resp.get_json()
    assert got["kind"] == kind
    assert got["name"] == name
    assert got["size"] == len(data)
    kept = stored_files(app)
    assert len(kept) == 1
    key, content = kept[0]
    assert content == data
    assert key == got["path"] and key.startswith("test/")
    assert name not in key and key.endswith(f".{kind}")  # random name
    local = Path(app.config["UPLOAD_FOLDER"]) / key
    if not app.config.get("STORAGE_URL"):
        assert isinstance(app.extensions["qauym_storage"], storage.LocalStorage)
        assert local.read_bytes() == data
    else:  # in the bucket, under the prefix, and not on this server's disk
        bucket, prefix = app.config["STORAGE_URL"][len("s3://") :].split("/", 1)
        assert (
            s3_client(request).get_object(Bucket=bucket, Key=f"{prefix}/{key}")["Body"].read()
            == data
        )
        assert not local.exists()


REFUSED = {
    "elf named pdf": ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "not accepted"),
    "exe named pdf": ("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "not accepted"),
    "plain zip named docx": ("plan.docx", zip_bytes({"a.txt": "x"}), "not accepted"),
    "html named png": ("x.png", b"<html><script>alert(1)</script></html>", "not accepted"),
    "oversized": ("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024), "larger than 1 MB"),
    "empty": ("empty.pdf", b"", "The file is empty."),
    "parent path": ("../x.pdf", b"%PDF-1.4\n", "must not contain a folder path"),
    "folder path": ("a/b.pdf", b"%PDF-1.4\n", "must not contain a folder path"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_files_are_refused_with_a_clear_message_and_nothing_is_left(app, client, post, case):
    name, data, message = REFUSED[case]
    client.set_cookie("lang", "en")

    resp = send(client, post, name, data)

    assert resp.status_code == 400
    assert message in resp.get_json()["error"]
    assert stored_files(app) == []


def test_missing_file_asks_to_choose_one(app, client, post):
    client.set_cookie("lang", "en")
    resp = post(client, "/_test/upload", {}, content_type="multipart/form-data")
    assert resp.status_code == 400 and resp.get_json()["error"] == "Choose a file."


def test_serve_sends_nosniff_and_a_safe_name_with_the_real_extension(app, client, post):
    # A PNG uploaded under a PDF name is stored as PNG and downloads as .png.
    stored = send(client, post, "photo.pdf", png_bytes()).get_json()
    assert stored["kind"] == "png"

    resp = client.get(
        "/_test/file",
        query_string={"path": stored["path"], "name": 'Сурет "1"\r\n.pdf', "mime": "image/png"},
    )

    assert resp.status_code == 200
    assert resp.data == png_bytes()
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition
    assert "filename*=UTF-8''%D0%A1%D1%83%D1%80%D0%B5%D1%82%201.png" in disposition


def test_serve_refuses_paths_outside_the_upload_folder(app, client):
    resp = client.get(
        "/_test/file",
        query_string={"path": "../secret_key", "name": "x", "mime": "text/plain"},
    )
    assert resp.status_code == 404


def test_a_file_missing_from_the_storage_is_not_found(app, client, post):
    stored = send(client, post, "plan.pdf", pdf_bytes()).get_json()
    uploads.delete(stored["path"])
    assert stored_files(app) == []

    resp = client.get(
        "/_test/file",
        query_string={"path": stored["path"], "name": "plan.pdf", "mime": "application/pdf"},
    )
    assert resp.status_code == 404


def test_safe_display_name():
    assert uploads.safe_display_name("../../etc/passwd") == "passwd"
    assert uploads.safe_display_name("C:\\x\\Жоспар.docx") == "Жоспар.docx"
    assert uploads.safe_display_name("...") == "file"
    assert uploads.safe_display_name("notes", "pdf") == "notes.pdf"
    assert uploads.safe_display_name("photo.pdf", "png") == "photo.png"
    assert uploads.safe_display_name("v1.2 final", "pdf") == "v1.2 final.pdf"
    assert uploads.safe_display_name("a.JPEG", "jpg") == "a.JPEG"


def test_request_over_the_size_limit_gets_a_translated_page(make_app):
    app = make_app(plugins="", MAX_UPLOAD_MB=1)
    client = app.test_client()
    client.set_cookie("lang", "ru")
    big = b"x" * (3 * 1024 * 1024)
    resp = client.post("/login", data=big, content_type="application/octet-stream")
    assert resp.status_code == 413
    page = resp.get_data(as_text=True)
    assert "1 MB" in page or "1 МБ" in page
    assert "Request Entity Too Large" not in page
