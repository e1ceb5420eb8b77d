"""Certificates: issue, PDF with Kazakh text, download permissions, public verification,
revocation by a site administrator."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditLog, Certificate
from core.services import certificates

KAZAKH_LETTERS = "ӘәҒғҚқҢңӨөҰұҮүҺһІі"


@pytest.fixture
def app(make_app):
    app = make_app(plugins="")
    with app.app_context():
        yield app


def make_cert(recipient, source_key="test:event:1:user", **kw):
    fields = {
        "title": "Шеберлік сыныбы: жаңартылған бағдарлама",
        "kind": "test.attendance",
        "hours": 2.5,
        "issuer": "Аудандық әдістемелік кабинет",
        "issued_on": dt.date(2026, 3, 14),
    }
    fields.update(kw)
    cert = certificates.issue(source_key=source_key, recipient=recipient, **fields)
    db.session.commit()
    return cert


def test_pdf_has_every_kazakh_letter_the_code_and_the_verification_url(client, factory, login):
    user = factory.user(full_name="Әлия Ғалымқызы Қоңырбаева")
    title = "Ә ә Ғ ғ Қ қ Ң ң Ө ө Ұ ұ Ү ү Һ һ І і: өңірлік семинарға қатысқаны үшін"
    cert = make_cert(user, title=title)
    login(client, user)

    resp = client.get(f"/certificates/{cert.code}.pdf")

    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages)
    for letter in KAZAKH_LETTERS:
        assert letter in text, letter
    assert "Әлия Ғалымқызы Қоңырбаева" in text
    assert cert.code in text
    assert f"http://localhost/verify/{cert.code}" in text


def test_issue_is_idempotent_on_source_key(app, factory):
    user = factory.user()
    first = make_cert(user, source_key="test:event:7:user:1")
    again = make_cert(user, source_key="test:event:7:user:1", title="another title")
    other = make_cert(user, source_key="test:event:8:user:1")

    assert again.id == first.id and again.code == first.code
    assert again.title == first.title  # the first issue wins; nothing is rewritten
    assert other.code != first.code
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2


def test_issue_recovers_when_another_request_issued_the_same_key_first(app, factory, monkeypatch):
    user = factory.user()
    first = make_cert(user, source_key="race")
    code = first.code
    # The other request's row appears between our SELECT and our INSERT: the first lookup
    # misses, the INSERT hits the unique constraint, and issue() returns the winner's row.
    db.session.expunge(first)
    real_scalar = db.session.scalar
    calls = []

    def first_lookup_misses(stmt, *a, **kw):
        calls.append(stmt)
        return None if len(calls) == 1 else real_scalar(stmt, *a, **kw)

    monkeypatch.setattr(db.session, "scalar", first_lookup_misses)
    got = certificates.issue(
        source_key="race",
        recipient=user,
        title="x",
        kind="test",
        issuer="y",
        issued_on=dt.date(2026, 1, 1),
    )
    monkeypatch.undo()
    db.session.commit()
    assert len(calls) == 2
    assert got.code == code
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_pdf_only_for_recipient_and_site_admins(client, factory, login, post):
    recipient = factory.user()
    other = factory.user()
    admin = factory.user(is_site_admin=True)
    cert = make_cert(recipient)
    url = f"/certificates/{cert.code}.pdf"

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    login(client, other)
    assert client.get(url).status_code == 403
    assert client.get("/certificates/ZZZZ-ZZZZ-ZZZZ.pdf").status_code == 404

    post(client, "/logout")
    login(client, admin)
    assert client.get(url).status_code == 200

    post(client, "/logout")
    login(client, recipient)
    assert client.get(url.lower()).status_code == 200  # a code typed in lower case


def test_verify_page_shows_the_certificate_without_login(client, factory):
    user = factory.user(full_name="Әлия Ғалымқызы Қоңырбаева")
    cert = make_cert(user)
    client.set_cookie("lang", "en")

    page = client.get(f"/verify/{cert.code}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-status="valid"' in html
    assert "This certificate is valid." in html
    for shown in (
        "Әлия Ғалымқызы Қоңырбаева",
        "Шеберлік сыныбы: жаңартылған бағдарлама",
        "Аудандық әдістемелік кабинет",
        "2.5",
        "2026",
        cert.code,
    ):
        assert shown in html, shown
    assert f"/certificates/{cert.code}.pdf" not in html  # the PDF link is for the recipient


@pytest.mark.parametrize("typed", ["lower", "spaces", "no-dashes"])
def test_verify_matches_codes_typed_in_lower_case_or_with_spaces(client, factory, typed):
    cert = make_cert(factory.user())
    code = {
        "lower": cert.code.lower(),
        "spaces": " " + cert.code.replace("-", " ").lower() + " ",
        "no-dashes": cert.code.replace("-", ""),
    }[typed]

    resp = client.get("/verify", query_string={"code": code}, follow_redirects=True)

    assert resp.status_code == 200
    assert resp.request.path == f"/verify/{cert.code}"
    assert 'data-status="valid"' in resp.get_data(as_text=True)


def test_unknown_code_is_a_404_with_a_clear_message(client):
    client.set_cookie("lang", "en")
    resp = client.get("/verify/ABCD-EFGH-JKMN")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert 'data-status="unknown"' in html
    assert "No certificate has the code “ABCD-EFGH-JKMN”." in html


def test_verify_form_page_and_escaping_of_typed_code(client):
    assert client.get("/verify").status_code == 200
    odd = client.get("/verify", query_string={"code": "ab/cd ../"}, follow_redirects=True)
    assert odd.status_code == 404 and odd.request.path == "/verify/ABCD"
    resp = client.get("/verify/<script>alert(1)</script>")
    assert resp.status_code == 404
    assert "<script>alert(1)" not in resp.get_data(as_text=True)


def test_site_admin_revokes_a_certificate_and_it_is_audited(client, factory, login, post):
    recipient = factory.user()
    admin = factory.user(is_site_admin=True)
    cert = make_cert(recipient)
    url = f"/verify/{cert.code}/revoke"

    anonymous = post(client, url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(client, recipient)
    assert 'action="' + url not in client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert post(client, url).status_code == 403
    db.session.refresh(cert)
    assert cert.revoked is False

    post(client, "/logout")
    login(client, admin)
    assert 'action="' + url in client.get(f"/verify/{cert.code}").get_data(as_text=True)
    resp = post(client, url, {"reason": "Issued to the wrong person"})
    assert resp.status_code == 302

    db.session.refresh(cert)
    assert cert.revoked is True
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "certificate.revoke"))
    assert entry.actor_id == admin.id
    assert entry.target == cert.code
    assert entry.details["reason"] == "Issued to the wrong person"

    client.set_cookie("lang", "en")
    pdf = client.get(f"/certificates/{cert.code}.pdf").data
    assert "REVOKED" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    post(client, "/logout")
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert 'data-status="revoked"' in page
    assert certificates.for_user(recipient) == []  # plugins' lists leave it out


def test_revoke_without_csrf_is_refused(client, factory, login):
    admin = factory.user(is_site_admin=True)
    cert = make_cert(factory.user())
    login(client, admin)
    assert client.post(f"/verify/{cert.code}/revoke").status_code == 400
    db.session.refresh(cert)
    assert cert.revoked is False


def test_my_certificates_lists_only_mine(client, factory, login):
    me = factory.user()
    other = factory.user()
    mine = make_cert(me, source_key="a", title="Менің сертификатым")
    revoked = make_cert(me, source_key="b", title="Қайтарылған")
    revoked.revoked = True
    db.session.commit()
    theirs = make_cert(other, source_key="c", title="Басқа біреудікі")

    assert client.get("/certificates").status_code == 302
    login(client, me)
    html = client.get("/certificates").get_data(as_text=True)
    assert "Менің сертификатым" in html and f"/certificates/{mine.code}.pdf" in html
    assert "Қайтарылған" in html  # the recipient still sees a revoked one, marked
    assert "Басқа біреудікі" not in html and theirs.code not in html
