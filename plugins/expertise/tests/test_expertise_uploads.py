"""Uploads are checked by content and size; a refused file leaves nothing behind and keeps
what the author typed."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.extensions import db
from plugins.expertise.models import File, Submission
from plugins.expertise.tests.conftest import PDF, as_user, pdf_file, submission_data


@pytest.fixture
def app(make_app):
    app = make_app(plugins="expertise", MAX_UPLOAD_MB=1)
    with app.app_context():
        yield app


def _stored(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _send(client, post, world, files):
    as_user(client, world.author)
    data = submission_data(world, title="Менің сабағым", abstract="Аннотация мәтіні", files=files)
    return post(
        client, "/expertise/a/kostanay-math/submit", data, content_type="multipart/form-data"
    )


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([(io.BytesIO(EXE), "plan.pdf")], "This type of file is not accepted"),
        ([(io.BytesIO(PDF + b"0" * (1024 * 1024 + 10)), "big.pdf")], "larger than 1 MB"),
        ([pdf_file("../../etc/plan.pdf")], "must not contain a folder path"),
        ([pdf_file("uploads/plan.pdf")], "must not contain a folder path"),
        # A good file first and a bad one second: the good one must not stay behind either.
        ([pdf_file("ok.pdf"), (io.BytesIO(EXE), "setup.docx")], "not accepted"),
    ],
)
def test_refused_upload_shows_message_keeps_input_stores_nothing(
    app, world, client, post, files, message
):
    resp = _send(client, post, world, files)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert message in html
    assert 'value="Менің сабағым"' in html and "Аннотация мәтіні" in html
    assert db.session.scalar(select(func.count(Submission.id))) == 0
    assert db.session.scalar(select(func.count(File.id))) == 0
    assert _stored(app) == []


def test_accepted_kinds_by_content_and_download(app, world, client, post):
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    docx.seek(0)
    resp = _send(client, post, world, [pdf_file("plan.pdf"), (docx, "tasks.docx")])
    assert resp.status_code == 302
    files = db.session.scalars(select(File).order_by(File.id)).all()
    assert [(f.original_name, f.kind) for f in files] == [
        ("plan.pdf", "pdf"),
        ("tasks.docx", "docx"),
    ]
    assert len(_stored(app)) == 2
    got = client.get(f"/expertise/file/{files[0].id}")
    assert got.status_code == 200 and got.data == PDF
    assert "attachment" in got.headers["Content-Disposition"]


def test_submission_without_file_is_refused(app, world, client, post):
    resp = _send(client, post, world, [])
    assert resp.status_code == 200
    assert "Attach at least one file." in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Submission.id))) == 0


def test_resubmission_refuses_bad_file_and_keeps_note(app, world, client, post):
    from plugins.expertise.tests.conftest import reviewed, step

    sub_id = reviewed(client, post, world)
    as_user(client, world.coordinator)
    step(client, post, sub_id, "minor")
    as_user(client, world.author)
    before = len(_stored(app))
    resp = post(
        client,
        f"/expertise/s/{sub_id}/resubmit",
        {"note": "Түзетулер тізімі", "files": [(io.BytesIO(EXE), "v2.pdf")]},
        content_type="multipart/form-data",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "not accepted" in html and "Түзетулер тізімі" in html
    db.session.expire_all()
    sub = db.session.get(Submission, sub_id)
    assert (sub.state, len(sub.versions)) == ("minor_revision", 1)
    assert len(_stored(app)) == before


def test_author_removes_a_file_of_a_draft_only(app, world, client, post):
    from plugins.expertise.tests.conftest import step

    as_user(client, world.author)
    data = submission_data(world, files=[pdf_file("a.pdf"), pdf_file("b.pdf")])
    data.pop("send")
    resp = post(
        client, "/expertise/a/kostanay-math/submit", data, content_type="multipart/form-data"
    )
    sub_id = int(resp.location.rsplit("/", 1)[-1])
    a, b = db.session.scalars(select(File).order_by(File.id)).all()
    as_user(client, world.member)
    assert post(client, f"/expertise/file/{a.id}/delete", {}).status_code == 403
    as_user(client, world.author)
    assert post(client, f"/expertise/file/{a.id}/delete", {}).status_code == 302
    assert [f.original_name for f in db.session.scalars(select(File))] == ["b.pdf"]
    assert len(_stored(app)) == 1
    assert step(client, post, sub_id, "submit").status_code == 302
    assert post(client, f"/expertise/file/{b.id}/delete", {}).status_code == 409
    assert db.session.scalar(select(func.count(File.id))) == 1


def test_files_are_removed_when_saving_the_submission_fails(app, world, client, post, monkeypatch):
    from plugins.expertise import services as svc

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(svc, "transition", broken)
    with pytest.raises(RuntimeError):
        _send(client, post, world, [pdf_file("plan.pdf")])
    assert _stored(app) == []
    assert db.session.scalar(select(func.count(Submission.id))) == 0
